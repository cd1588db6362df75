#include "http/endpoint.h"

#include <spdlog/spdlog.h>

namespace locus::http {

Result<std::unique_ptr<Endpoint>> Endpoint::Start(const Config& config,
                                                  const EndpointOptions& options,
                                                  ServerSources sources) {
  auto address = ParseListen(options.listen);
  if (!address.ok()) return address.status();
  std::unique_ptr<Endpoint> e(new Endpoint());
  kafka::Properties producer = options.client;
  producer["linger.ms"] = "5";
  producer["partitioner"] = "murmur2_random";  // keyed by user, as every producer
  auto p = kafka::Producer::Create(producer);
  if (!p.ok()) return p.status();
  e->producer_ = std::move(*p);

  ServerOptions o;
  o.host = address->first;
  o.port = address->second;
  o.token = config.http.token;
  o.max_request_bytes = static_cast<size_t>(config.http.max_request_bytes);
  o.rate_limit_per_s = config.http.rate_limit_per_s;
  o.rate_limit_burst = config.http.rate_limit_burst;
  o.web_dir = options.web_dir;
  o.events_topic = config.kafka.events_topic;
  sources.producer = e->producer_.get();
  auto server = Server::Start(std::move(o), sources);
  if (!server.ok()) return server.status();
  e->server_ = std::move(*server);
  return e;
}

Endpoint::~Endpoint() { Stop(); }

void Endpoint::Stop() {
  if (server_) server_->Stop();
  if (producer_) {
    Status delivered = producer_->Flush(10000);
    if (!delivered.ok()) spdlog::warn("events from POST /events: {}", delivered.message());
    producer_.reset();
  }
}

}  // namespace locus::http
