// Reads a topic completely, as a global table (the places topic; with scale-out also the model
// topic): every instance assigns itself all partitions (no consumer group) and starts where
// its store says it stopped. Single-threaded: owned and polled by the engine loop's thread.
#pragma once

#include "consumers/kafka_client.h"
#include "src/engine/engine.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace locus::kafka {

class TableReader {
 public:
  // What to do with one message: (partition, offset, key, value; nullopt for a tombstone).
  using Handler =
      std::function<Outcome(int32_t, int64_t, std::string_view, std::optional<std::string_view>)>;
  // Reads `topic` from the offsets `engine` stored for it, giving each message to `handle`.
  static Result<std::unique_ptr<TableReader>> Create(Engine& engine, const Properties& props,
                                                     const std::string& topic, Handler handle);
  ~TableReader();

  // Applies whatever is available now, up to `max` messages. Returns how many.
  Result<int> PollAvailable(int max);
  // Reads until every partition is at its high watermark as of now (or timeout).
  Status CatchUp(int timeout_ms);
  // True when every partition was at its end at the last look.
  bool at_end() const;

 private:
  TableReader(std::string topic, Handler handle)
      : topic_(std::move(topic)), handle_(std::move(handle)) {}
  // Consumes one message (waiting up to timeout_ms); false when none came.
  Result<bool> ConsumeOne(int timeout_ms);

  std::string topic_;
  Handler handle_;
  Handle rk_;
  std::map<int32_t, int64_t> next_;  // partition -> next offset to read
  std::map<int32_t, bool> eof_;
};

}  // namespace locus::kafka
