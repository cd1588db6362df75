// The HTTP API of `locus serve` (cpp-httplib): the request path over plain HTTP, event
// ingestion into the events topic, health, readiness, Prometheus metrics, and the static web
// page in web/. Routes and their status codes are listed in http/README.md.
//
// Lifecycle: Start() binds the address (port 0: any free port, see port()) and serves on its
// own threads (httplib's pool); Stop() (or the destructor) stops accepting, finishes requests
// in flight and joins. It must stop before the engine, loop, snapshots and producer it reads.
// Concurrency: handlers run on many threads; they only use the engine's thread-safe request
// path and read atomics.
#pragma once

#include "consumers/engine_loop.h"
#include "consumers/kafka_client.h"
#include "snapshot/counters.h"
#include "src/core/status.h"
#include "src/engine/engine.h"

#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace locus::http {

struct ServerOptions {
  // Address to listen on; port 0 picks a free port.
  std::string host = "127.0.0.1";
  int port = 8080;
  // Bearer token required by everything but /healthz, /readyz and the static page; empty:
  // no check.
  std::string token;
  // Largest request body (bytes); larger gets 413.
  size_t max_request_bytes = 65536;
  // Per-client-address token bucket; over it requests get 429. Health checks are exempt.
  double rate_limit_per_s = 200;
  int rate_limit_burst = 400;
  // Folder of the static web page served at /; empty or missing: no page.
  std::string web_dir;
  // Topic POST /events produces to.
  std::string events_topic = "locus.events";
};

// What the server reads. The engine is required; the others may be null (then the matching
// readiness check says so and the metrics are left out).
struct ServerSources {
  Engine* engine = nullptr;
  const kafka::LoopCounters* loop = nullptr;
  // Null when MySQL snapshots are disabled.
  const snapshot::SnapshotCounters* snapshots = nullptr;
  // Producer for POST /events (and the Kafka reachability check); null: 503.
  kafka::Producer* producer = nullptr;
};

// Parses "HOST:PORT" (IPv6 as "[::1]:8080"); the port may be 0.
Result<std::pair<std::string, int>> ParseListen(const std::string& listen);

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, ServerSources sources);
  ~Server();
  void Stop();

  // The bound port (the chosen one when asked for 0) and the base URL ("http://HOST:PORT").
  int port() const { return port_; }
  std::string url() const;

 private:
  struct State;
  Server() = default;

  std::unique_ptr<State> state_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::string host_;
};

}  // namespace locus::http
