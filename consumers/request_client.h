// A client of the request/response topics: sends requests and waits for their answers,
// correlated by request_id. Used by `locus recommend`, the demo and tests.
// Not thread-safe; one instance per thread.
#pragma once

#include "consumers/kafka_client.h"
#include "src/config/config.h"
#include "src/core/types.h"

#include <memory>
#include <string>

namespace locus::kafka {

class RequestClient {
 public:
  // Starts reading the responses topic from its current end, so answers to requests sent
  // afterwards are never missed.
  static Result<std::unique_ptr<RequestClient>> Create(const KafkaConfig& kafka,
                                                       const Properties& client);
  ~RequestClient();

  // Sends `query` (a request_id is made when it has none) and waits for its response.
  Result<Answer> Ask(Query query, int timeout_ms);
  // Sends raw bytes keyed by `key` and waits for a response with `request_id`.
  Result<Answer> AskRaw(const std::string& key, const std::string& value,
                        const std::string& request_id, int timeout_ms);

 private:
  RequestClient() = default;
  KafkaConfig kafka_;
  std::unique_ptr<Producer> producer_;
  Handle consumer_;
};

}  // namespace locus::kafka
