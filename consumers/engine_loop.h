// The engine's Kafka loop: one consumer in the engine's group reading the events and requests
// topics (both keyed by user, so the range assignor gives an instance the same partitions of
// both), the places topic read completely beside it, and one producer for responses and dead
// letters.
//
// One exit path: Run() returns when `stop` is set (signals only set it), when --exit-when-idle
// says so, or on a fatal error; it then commits the last batch and closes the consumer cleanly.
// Offsets: the source offsets live in the state store, committed in the same batch as the
// state; on assignment the consumer seeks to them. They are mirrored to Kafka's group offsets
// after each batch only so that standard tools can show the lag.
#pragma once

#include "consumers/kafka_client.h"
#include "consumers/places_reader.h"
#include "src/config/config.h"
#include "src/engine/engine.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace locus::kafka {

struct LoopOptions {
  KafkaConfig kafka;
  // Client properties shared by every client (bootstrap.servers and pass-through).
  Properties client;
  // Stop once the loop holds its partitions, has read all of them to the end, and this many
  // seconds passed with no input. Negative: never.
  double exit_when_idle_s = -1;
};

// Values by a label (a reason, a topic) for /metrics. Thread-safe; small (one entry per
// distinct label, a handful of reason codes or topics).
class LabeledValues {
 public:
  void Add(const std::string& label, int64_t n) {
    std::lock_guard lock(mu_);
    values_[label] += n;
  }
  void Set(std::map<std::string, int64_t> values) {
    std::lock_guard lock(mu_);
    values_ = std::move(values);
  }
  std::map<std::string, int64_t> Get() const {
    std::lock_guard lock(mu_);
    return values_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> values_;
};

// Counters of the loop for /metrics; monotonic unless said otherwise.
struct LoopCounters {
  std::atomic<int64_t> deadletters{0};
  // Dead letters by reason code ("invalid_json", "schema", "unknown_place", ...).
  LabeledValues deadletters_by_reason;
  std::atomic<int64_t> responses{0};
  std::atomic<int64_t> offsets_lost{0};
  std::atomic<int64_t> rebalances{0};
  // Gauges, refreshed about once a second: partitions of the events and requests topics this
  // member holds, and messages behind the end of the log per topic over those partitions
  // (from librdkafka's cached watermarks; empty until the first assignment).
  std::atomic<int64_t> assigned_partitions{0};
  LabeledValues lag_by_topic;
};

class EngineLoop {
 public:
  static Result<std::unique_ptr<EngineLoop>> Create(Engine& engine, LoopOptions options);
  ~EngineLoop();

  // Runs until stopped; see the class comment.
  Status Run(const std::atomic<bool>& stop);
  const LoopCounters& counters() const { return counters_; }

 private:
  EngineLoop(Engine& engine, LoopOptions options);
  void OnRebalance(int err, void* partitions);
  static void RebalanceThunk(rd_kafka_s* rk, int err, void* partitions, void* opaque);
  void HandleMessage(void* message);
  void DeadLetter(const std::string& topic, int32_t partition, int64_t offset, std::string_view key,
                  std::string_view payload, const Outcome& outcome);
  Status FlushAndMirror();
  // True when partitions are assigned and every one, and the places topic, is read to its end.
  bool AllRead() const;
  // Refreshes the lag gauges of counters_ from positions and cached watermarks.
  void UpdateLag();

  Engine& engine_;
  LoopOptions options_;
  Handle consumer_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<PlacesReader> places_;
  LoopCounters counters_;
  std::map<std::pair<std::string, int32_t>, bool> eof_;  // assigned partition -> at its end
  Status fatal_;
};

}  // namespace locus::kafka
