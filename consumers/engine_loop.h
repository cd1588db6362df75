// The engine's Kafka loop: one consumer in the engine's group reading the events and requests
// topics (both keyed by user, so the range assignor gives an instance the same partitions of
// both: it answers the requests of the users whose events it applies), the places topic read
// completely beside it, and one producer for responses and dead letters.
//
// Threads: Run()'s thread (the loop) applies events and places, commits batches and handles
// rebalances; a pool of request workers (request_workers.h) answers requests. The consumer
// routes the assigned requests partitions to a queue of their own that only the workers read,
// so requests never wait behind events (nor events behind requests) while group membership
// and partition ownership stay with the one consumer.
//
// One exit path: Run() returns when `stop` is set (signals only set it), when --exit-when-idle
// says so, or on a fatal error; it then stops the workers (they answer what they hold and what
// is already fetched, for at most LoopOptions::drain_ms), waits for the responses' delivery,
// commits the last batch and closes the consumer cleanly.
//
// Offsets: the source offsets live in the state store, committed in the same batch as the
// state; on assignment the consumer seeks to them. They are mirrored to Kafka's group offsets
// after each batch only so that standard tools can show the lag. A request's offset is stored
// only once its response is delivered (request_offsets.h): a crash never loses a request, and
// after one the requests since the last commit (at most flush_interval_ms of them, plus those
// in flight) are answered again. Responses are keyed by request_id, so a client keeps the
// first answer per request_id; a graceful stop or rebalance answers nothing twice.
#pragma once

#include "consumers/kafka_client.h"
#include "consumers/request_offsets.h"
#include "consumers/request_workers.h"
#include "consumers/table_reader.h"
#include "src/config/config.h"
#include "src/engine/engine.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

struct rd_kafka_queue_s;
struct rd_kafka_message_s;

namespace locus::kafka {

struct LoopOptions {
  KafkaConfig kafka;
  // Client properties shared by every client (bootstrap.servers and pass-through).
  Properties client;
  // Stop once the loop holds its partitions, has read all of them to the end, and this many
  // seconds passed with no input. Negative: never.
  double exit_when_idle_s = -1;
  // Threads answering requests (RequestConfig::workers).
  int request_workers = 2;
  // On stop, requests already fetched are still answered for at most this long; the rest stay
  // unanswered and uncommitted, for whoever reads the partition next.
  int drain_ms = 2000;
  // kafka.exactly_once: the fact producer's transactional.id (stable per instance: the same
  // state directory gets the same id, so a restart fences the instance it replaces).
  std::string transactional_id;
  // Called on the loop thread before each event is handled. For tests that stall ingest;
  // empty in production.
  std::function<void()> before_event;
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
  // Gauge: requests read whose responses are not delivered yet.
  std::atomic<int64_t> requests_in_flight{0};
};

class EngineLoop {
 public:
  static Result<std::unique_ptr<EngineLoop>> Create(Engine& engine, LoopOptions options);
  ~EngineLoop();

  // Runs until stopped; see the class comment. Call once.
  Status Run(const std::atomic<bool>& stop);
  const LoopCounters& counters() const { return counters_; }

 private:
  struct QueueDeleter {
    void operator()(rd_kafka_queue_s* q) const;
  };

  EngineLoop(Engine& engine, LoopOptions options);
  void OnRebalance(int err, void* partitions);
  static void RebalanceThunk(rd_kafka_s* rk, int err, void* partitions, void* opaque);
  // Handles polled_ in order and empties it.
  void HandlePolled();
  // Applies `n` event messages as one batch; dead-letters those rejected. With scale-out,
  // produces their facts to the by-place topic.
  void ApplyEvents(rd_kafka_message_s* const* messages, size_t n);
  // Scale-out: aggregates `n` by-place messages (facts) as one batch.
  void ApplyFacts(rd_kafka_message_s* const* messages, size_t n);
  bool scaled() const { return options_.kafka.scale_out; }
  static std::string_view Payload(const rd_kafka_message_s* m);
  // Reads the places topic to its end (an event or fact names a place not known yet).
  void CatchUpPlaces();
  // Dead-letters the messages of a batch whose outcome (same order) is a rejection.
  void DeadLetterRejected(const std::string& topic, rd_kafka_message_s* const* messages,
                          const std::vector<Outcome>& outcomes);
  // Pauses or resumes fetching a requests partition (its users' state is being rebuilt). Only
  // a partition this loop paused is resumed: librdkafka's resume of one that is not paused
  // still restarts its fetch from where it was assigned, so requests the workers already
  // took would come again and be answered twice.
  void PauseRequests(int32_t partition, bool pause);
  // Scale-out: events `partition` was applied up to `next`; once that reaches the log's end as
  // of its assignment, its users are rebuilt and their requests resume.
  void Rebuilt(int32_t partition, int64_t next);
  // Produces records to explicit partitions of `topic` (facts or model rows).
  void Publish(const std::string& topic, std::vector<Engine::OutRecord> records);
  void DeadLetter(const std::string& topic, int32_t partition, int64_t offset, std::string_view key,
                  std::string_view payload, const Outcome& outcome);
  // Request workers' side (any worker thread).
  std::optional<RequestMessage> TakeRequest(int timeout_ms);
  void AnswerRequest(const RequestMessage& request);
  // Passes the request offsets whose responses are delivered to the engine's pending batch.
  void StoreRequestOffsets();
  // Flushes the engine and mirrors the offsets it committed to the group (`wait`: before
  // giving partitions up or stopping, so that the next owner reads them).
  Status FlushAndMirror(bool wait = false);
  // Mirrors the store's offsets of every assigned events and by-place partition to the group
  // (asynchronously), every few seconds: a mirror that failed (a commit during a rebalance)
  // or that no flush followed (a partition taken back with nothing new to read) would leave
  // the group's lag stale for as long as the partition stays idle.
  void MirrorStoredOffsets();
  // Commits `next` offsets of the partitions in it this member holds to the group: waiting
  // (and warning when it fails) or asynchronously (a failure is made good by a later one).
  void CommitToGroup(const std::map<TopicPartition, int64_t>& next, bool wait);
  // The group's committed offsets of the requests partitions in `list` (an assignment).
  std::map<TopicPartition, int64_t> GroupCommittedRequests(const void* list);
  // True when partitions are assigned and every one, and the places topic, is read to its end
  // and every request read is answered.
  bool AllRead() const;
  // Refreshes the lag gauges of counters_ from positions and cached watermarks.
  void UpdateLag();

  Engine& engine_;
  LoopOptions options_;
  LoopCounters counters_;
  // Before the producer: delivery callbacks of responses update it until the producer is gone.
  RequestOffsets request_offsets_;
  Handle consumer_;
  // Where the assigned requests partitions are routed (after consumer_: destroyed first).
  std::unique_ptr<rd_kafka_queue_s, QueueDeleter> requests_queue_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<TableReader> places_;
  // Scale-out: the model topic, read completely (rows of the partitions others aggregate),
  // and the producer of facts and model rows (idempotent: a partition's records keep their
  // order through retries, which the fact filter relies on).
  std::unique_ptr<TableReader> model_;
  std::unique_ptr<Producer> fact_producer_;
  // Facts or model rows whose delivery failed since the start: the loop stops (a restart
  // sends them again from the store's offsets) rather than commit past them.
  std::atomic<int64_t> undelivered_{0};
  // kafka.exactly_once: a transaction of the fact producer is open.
  bool in_txn_ = false;
  // Makes the records published so far visible: commits the open transaction, or (without
  // transactions) waits for their delivery. Ok(false) when not done in `timeout_ms` (to be
  // tried again); an error when they are lost (the loop then stops without committing past
  // them, and a restart sends them again from the store).
  Result<bool> Deliver(int timeout_ms);
  // Events partitions whose users are being rebuilt from their first event: the offset that
  // ends the rebuild (the log's end at assignment) and when it began. Their requests
  // partitions are paused meanwhile, so no answer is given from part of a user's history.
  std::map<int32_t, std::pair<int64_t, std::chrono::steady_clock::time_point>> rebuilding_;
  std::set<int32_t> paused_requests_;  // requests partitions paused (kept across unassignment)
  std::unique_ptr<RequestWorkers> workers_;              // during Run
  std::map<std::pair<std::string, int32_t>, bool> eof_;  // assigned events partition -> at end
  std::vector<TopicPartition> assigned_;                 // every assigned partition
  std::chrono::steady_clock::time_point mirror_due_{};   // next MirrorStoredOffsets
  std::atomic<std::chrono::steady_clock::rep> last_request_{0};
  // Messages polled and not handled yet (loop thread; also emptied by OnRebalance).
  std::vector<rd_kafka_message_s*> polled_;
  Status fatal_;
};

}  // namespace locus::kafka
