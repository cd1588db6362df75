#include "http/server.h"

#include "http/handlers.h"
#include "http/rate_limiter.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <sys/socket.h>

namespace locus::http {

struct Server::State {
  ServerOptions options;
  ServerSources sources;
  HttpStats stats;
  std::atomic<uint64_t> requests_seen{0};
  RateLimiter limiter;
  Context context{options, sources, stats, requests_seen};

  State(ServerOptions o, ServerSources s)
      : options(std::move(o)),
        sources(s),
        limiter(options.rate_limit_per_s, static_cast<double>(options.rate_limit_burst)) {}
};

namespace {

using Clock = std::chrono::steady_clock;

bool IsHealthCheck(const std::string& path) { return path == "/healthz" || path == "/readyz"; }

// API routes need the token; the static page does not (a browser cannot send a bearer header
// when it loads a page; the page asks for the token and sends it with every API call).
bool NeedsToken(const std::string& path) {
  if (IsHealthCheck(path)) return false;
  return RouteOf(path) != "static";
}

// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

void Send(httplib::Response& res, const Reply& reply) {
  res.status = reply.status;
  res.set_content(reply.body, reply.content_type.c_str());
}

}  // namespace

Result<std::pair<std::string, int>> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::Error("expected HOST:PORT, got '" + listen + "'");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  const std::string p = listen.substr(colon + 1);
  const auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || port < 0 || port > 65535) {
    return Status::Error("expected HOST:PORT with a port in 0..65535, got '" + listen + "'");
  }
  return std::make_pair(host, port);
}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, ServerSources sources) {
  if (sources.engine == nullptr) return Status::Error("http: no engine");
  std::unique_ptr<Server> server(new Server());
  server->state_ = std::make_unique<State>(std::move(options), sources);
  server->server_ = std::make_unique<httplib::Server>();
  State& st = *server->state_;
  httplib::Server& svr = *server->server_;

  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second locus
  // bind the same port silently and share its connections; a busy port must be an error.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.set_payload_max_length(st.options.max_request_bytes);
  svr.set_read_timeout(10, 0);
  svr.set_write_timeout(10, 0);
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});

  svr.set_pre_routing_handler([&st](const httplib::Request& req, httplib::Response& res) {
    if (!IsHealthCheck(req.path) && !st.limiter.Allow(req.remote_addr)) {
      Send(res,
           Error(429, "too many requests from " + req.remote_addr + "; slow down", "rate_limited"));
      res.set_header("Retry-After", "1");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!st.options.token.empty() && NeedsToken(req.path)) {
      const std::string auth = req.get_header_value("Authorization");
      constexpr std::string_view kBearer = "Bearer ";
      if (!auth.starts_with(kBearer) ||
          !SameSecret(std::string_view(auth).substr(kBearer.size()), st.options.token)) {
        Send(res, Error(401, "missing or wrong bearer token (Authorization: Bearer TOKEN)",
                        "unauthorized"));
        res.set_header("WWW-Authenticate", "Bearer");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Every route is timed into its histogram.
  auto timed = [&st](std::string_view route, auto fn) {
    const size_t index = RouteIndex(route);
    return [&st, index, fn](const httplib::Request& req, httplib::Response& res) {
      const auto start = Clock::now();
      Send(res, fn(req));
      st.stats.latency[index].Observe(std::chrono::duration<double>(Clock::now() - start).count());
    };
  };
  Context& c = st.context;
  svr.Get("/recommend", timed("/recommend", [&c](const httplib::Request& req) {
            return Recommend(c, req.params);
          }));
  svr.Get("/activities", timed("/activities", [&c](const httplib::Request& req) {
            return Activities(c, req.params);
          }));
  svr.Get("/places",
          timed("/places", [&c](const httplib::Request& req) { return Places(c, req.params); }));
  svr.Get(R"(/places/([^/]+))", timed("/places/{id}", [&c](const httplib::Request& req) {
            return PlaceById(c, req.matches[1].str());
          }));
  svr.Post("/events",
           timed("/events", [&c](const httplib::Request& req) { return PostEvent(c, req.body); }));
  svr.Get("/healthz", timed("/healthz", [](const httplib::Request&) { return Healthz(); }));
  svr.Get("/readyz", timed("/readyz", [&c](const httplib::Request&) { return Readyz(c); }));
  svr.Get("/metrics", timed("/metrics", [&c](const httplib::Request&) { return Metrics(c); }));

  if (!st.options.web_dir.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(st.options.web_dir, ec) &&
        svr.set_mount_point("/", st.options.web_dir)) {
      spdlog::info("http: web page from {}", st.options.web_dir);
    } else {
      spdlog::warn("http: no web page ({} is not a folder)", st.options.web_dir);
    }
  }

  // Errors httplib produces itself (404 of unknown paths, 413, 400 of bad request lines) get
  // the JSON error body of every other error.
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message;
    switch (res.status) {
      case 404:
        message = "no such path: " + req.path.substr(0, 200);
        break;
      case 413:
        message = "request body too large";
        break;
      default:
        message = "HTTP status " + std::to_string(res.status);
    }
    res.set_content(ErrorJson(message), "application/json");
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                               std::exception_ptr) { Send(res, Error(500, "internal error")); });
  svr.set_logger([&st](const httplib::Request& req, const httplib::Response& res) {
    st.stats.Count(RouteOf(req.path), res.status);
  });

  const std::string& host = st.options.host;
  if (st.options.port == 0) {
    server->port_ = svr.bind_to_any_port(host);
    if (server->port_ <= 0) return Status::Error("http: cannot listen on " + host + ":0");
  } else {
    if (!svr.bind_to_port(host, st.options.port)) {
      return Status::Error("http: cannot listen on " + host + ":" +
                           std::to_string(st.options.port) + " (in use? set http.listen)");
    }
    server->port_ = st.options.port;
  }
  server->host_ = host;
  server->thread_ = std::thread([&svr] { svr.listen_after_bind(); });
  return server;
}

Server::~Server() { Stop(); }

void Server::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string Server::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
}

}  // namespace locus::http
