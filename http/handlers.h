// The route handlers of the HTTP server, as plain functions from parsed input to a reply, so
// they hold no httplib types. Internal to http/ (server.cc registers them).
#pragma once

#include "http/metrics.h"
#include "http/params.h"
#include "http/server.h"

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace locus::http {

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// The routes, as labels of the HTTP metrics.
inline constexpr std::array<std::string_view, 9> kRoutes = {
    "/recommend", "/activities", "/places",  "/places/{id}", "/events",
    "/healthz",   "/readyz",     "/metrics", "static"};

// Counters of the HTTP server itself. Thread-safe.
struct HttpStats {
  std::array<LatencyHistogram, kRoutes.size()> latency;
  std::mutex mu;
  std::map<std::pair<std::string, int>, int64_t> responses;  // (route, status) -> count
  std::atomic<int64_t> events_accepted{0};

  void Count(const std::string& route, int status) {
    std::lock_guard lock(mu);
    responses[{route, status}]++;
  }
};

// The route label of a path ("/places/p1" -> "/places/{id}"); "static" for anything else.
std::string RouteOf(std::string_view path);
size_t RouteIndex(std::string_view route);

struct Context {
  const ServerOptions& options;
  const ServerSources& sources;
  HttpStats& stats;
  std::atomic<uint64_t>& requests_seen;
};

// {"status":"error","error":message} (and "code" when given): every non-request error body.
std::string ErrorJson(std::string_view message, std::string_view code = {});
Reply Error(int status, std::string_view message, std::string_view code = {});

Reply Recommend(Context& c, const Params& params);
Reply Activities(Context& c, const Params& params);
Reply Places(Context& c, const Params& params);
Reply PlaceById(Context& c, const std::string& id);
Reply PostEvent(Context& c, const std::string& body);
Reply Healthz();
Reply Readyz(Context& c);
Reply Metrics(Context& c);

}  // namespace locus::http
