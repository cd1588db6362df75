// Reads the places topic completely, as a global table: every instance assigns itself all
// partitions (no consumer group) and starts where its store says it stopped.
// Single-threaded: owned and polled by the engine loop's thread.
#pragma once

#include "consumers/kafka_client.h"
#include "src/engine/engine.h"

#include <map>
#include <memory>
#include <string>

namespace locus::kafka {

class PlacesReader {
 public:
  static Result<std::unique_ptr<PlacesReader>> Create(Engine& engine, const Properties& props,
                                                      const std::string& topic);
  ~PlacesReader();

  // Applies whatever is available now, up to `max` messages. Returns how many.
  Result<int> PollAvailable(int max);
  // Reads until every partition is at its high watermark as of now (or timeout).
  Status CatchUp(int timeout_ms);
  // True when every partition was at its end at the last look.
  bool at_end() const;

 private:
  PlacesReader(Engine& engine, std::string topic) : engine_(engine), topic_(std::move(topic)) {}
  // Consumes one message (waiting up to timeout_ms); false when none came.
  Result<bool> ConsumeOne(int timeout_ms);

  Engine& engine_;
  std::string topic_;
  Handle rk_;
  std::map<int32_t, int64_t> next_;  // partition -> next offset to read
  std::map<int32_t, bool> eof_;
};

}  // namespace locus::kafka
