// What `locus serve` runs for HTTP: the Server plus the producer POST /events writes with,
// configured from the Config. One object, so the command only starts and stops it.
//
// Lifecycle: Start() creates the producer and binds (errors name the address); Stop() (or
// the destructor) stops the server, then waits up to 10 s for posted events to be delivered.
// Must stop before the engine, loop and snapshots it reads.
#pragma once

#include "consumers/kafka_client.h"
#include "http/server.h"
#include "src/config/config.h"

#include <memory>
#include <string>

namespace locus::http {

struct EndpointOptions {
  // HOST:PORT (port 0: any free port); overrides config.http.listen when set.
  std::string listen;
  // Folder of the web page.
  std::string web_dir;
  // Client properties of the cluster (bootstrap.servers and pass-through).
  kafka::Properties client;
};

class Endpoint {
 public:
  static Result<std::unique_ptr<Endpoint>> Start(const Config& config,
                                                 const EndpointOptions& options,
                                                 ServerSources sources);
  ~Endpoint();
  void Stop();
  std::string url() const { return server_->url(); }

 private:
  Endpoint() = default;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<Server> server_;
};

}  // namespace locus::http
