// Engine: wires the pure core (Model, Scorer) to the durable store. The consumers feed it
// decoded-or-not bytes with their Kafka coordinates; it applies them, remembers the next
// offset of every source partition, and commits state and offsets in one batch (Flush).
//
// Threading: one ingest thread calls the Handle*/Flush methods; any number of threads may call
// AnswerRequest/Recommend/WithModel concurrently (they take a shared lock on the model). The
// ingest thread takes the lock exclusively only while it changes the model (one event or place
// at a time) and while Flush collects the changes; decoding and the RocksDB write happen
// outside it. A waiting writer holds back new readers (writer_priority_mutex.h), so answers
// never starve ingest; an answer waits for at most one batch of applies (max_exclusive_us) or
// one Flush's collection of changes (Model::Persist, proportional to the changes since the last).
// Still under the lock, inside Model::Apply: gathering a full retrain's data when one starts.
#pragma once

#include "src/codec/messages.h"
#include "src/core/fact_log.h"
#include "src/core/model.h"
#include "src/core/recommend.h"
#include "src/engine/latency_histogram.h"
#include "src/engine/retrain_thread.h"
#include "src/engine/writer_priority_mutex.h"
#include "state/state_store.h"

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locus {

// Scale-out (README "Scale-out on Kafka"): instances of one group split the events partitions
// (users) and the by-place partitions (rows summed over users) between them.
struct ScaleOutOptions {
  // 0: this engine holds everything (Model::Apply). Otherwise the partitions of the events,
  // by-place and model topics (equal, so an instance owns the same numbers of all three):
  // events give the user's part here and a fact per by-place partition owning a row it
  // changes (TakeFacts); facts of the owned by-place partitions are aggregated (HandleFacts)
  // and the rows they change published at each Flush (TakeModelRecords); the rows of the
  // other partitions come from the model topic (HandleModelRecord).
  int32_t partitions = 0;
  std::string events_topic = "locus.events";
  std::string by_place_topic = "locus.internal.by-place";
  std::string model_topic = "locus.model";
  // Rows changed by the commits of this long are published together (each row once, with its
  // newest committed value, then the markers): a hot row is not republished at every commit.
  int publish_interval_ms = 1000;
};

struct EngineOptions {
  ModelOptions model;
  ScaleOutOptions scale_out;
  RecommendOptions recommend;
  // A batch is committed after this many applied messages...
  int flush_events = 20000;
  // ...or when its oldest change is this old.
  int flush_interval_ms = 200;
  // HandleEvents lets readers in between events after holding the model lock this long, so a
  // backlog of events delays an answer by about this much at most.
  int max_exclusive_us = 2000;
};

// What became of one input message.
struct Outcome {
  bool ok = true;
  // Short reason code for counters and dead letters ("invalid_json", "unknown_place", ...).
  std::string code;
  // Reason for people.
  std::string reason;
};

// Counters for /metrics and logs; monotonic over the process lifetime.
struct EngineCounters {
  std::atomic<int64_t> events_applied{0};
  std::atomic<int64_t> events_rejected{0};
  std::atomic<int64_t> places_applied{0};
  std::atomic<int64_t> places_rejected{0};
  std::atomic<int64_t> requests_ok{0};
  std::atomic<int64_t> requests_error{0};
  std::atomic<int64_t> flushes{0};
  // Time to answer a valid request, on every path (topic and HTTP), in seconds.
  LatencyHistogram answer_latency;
  // Events from the topic by type (EventType order: click, visit, rating; 3: undecodable) and
  // outcome (0: applied, 1: rejected).
  std::array<std::array<std::atomic<int64_t>, 2>, 4> events{};
};

class Engine {
 public:
  // Loads the model from `store`; the engine owns the store from then on.
  static Result<std::unique_ptr<Engine>> Open(EngineOptions options,
                                              std::unique_ptr<StateStore> store);

  // Reads the rows Open left in the store (Model::CompleteRows) in chunks, each under the
  // exclusive lock, so that answers go on between them, and beside them the users
  // (Model::ReadStoredUsers), installed at the end. The loop calls it before it reads any
  // event; the first change to the model does it at once otherwise.
  Status CompleteLoad();

  // Ingest path (one thread). `value` nullopt on the places topic is a tombstone (delete).
  Outcome HandlePlace(std::string_view topic, int32_t partition, int64_t offset,
                      std::string_view key, std::optional<std::string_view> value);
  // An event whose place is unknown is retried once after `catch_up_places` (when given).
  Outcome HandleEvent(std::string_view topic, int32_t partition, int64_t offset,
                      std::string_view value, const std::function<void()>& catch_up_places = {});
  // One event message as read from the events topic.
  struct EventMessage {
    std::string_view topic;
    int32_t partition = -1;
    int64_t offset = -1;
    std::string_view value;
  };
  // HandleEvent for each message in order, with the same outcomes and state, but taking the
  // model lock once for as many of them as fit in max_exclusive_us: a writer waiting for the
  // lock holds back new answers (and each answer holds back the writer), so one wait per
  // batch rather than per event keeps both ingest and answers flowing under load.
  std::vector<Outcome> HandleEvents(const std::vector<EventMessage>& messages,
                                    const std::function<void()>& catch_up_places = {});
  // Applies an event that is already decoded (also what `locus eval` replays). With scale-out
  // on, `source` (events partition and offset) tags the facts it gives; without one the event
  // is applied whole, as by a single instance.
  Outcome ApplyEvent(const Event& event, std::optional<FactSource> source = std::nullopt);

  // Scale-out (options().scale_out.partitions > 0); ingest thread only.
  // A record to produce to an explicit partition of the by-place or the model topic.
  struct OutRecord {
    int32_t partition = 0;
    std::string key;
    std::string value;
  };
  // The facts of the events applied since the last call, in order: every one must be
  // delivered before the Flush that commits those events' offsets (a fact lost after the
  // commit would be lost for good; one delivered twice is dropped by its owner's filter).
  std::vector<OutRecord> TakeFacts();
  // The by-place partitions this engine aggregates (the loop's assignment), replacing the
  // previous set. Each resumes with the filter and rows stored for it (its own, or the last
  // ones its previous owner published and this engine installed).
  void OwnByPlace(std::set<int32_t> partitions);
  const std::set<int32_t>& owned_by_place() const { return owned_by_place_; }
  // Forgets the per-user state of the users of events partitions this engine gave up, from
  // memory now and, with those partitions' stored offsets, from the store at the next Flush:
  // whoever owns one next rebuilds its users from its events (or from the offset it stored).
  // Rows summed over users keep what those users added. Returns how many users were dropped.
  size_t DropUserPartitions(const std::set<int32_t>& partitions);
  // Facts read from owned by-place partitions: a replay (offset not past the last applied
  // from its source) is dropped, the rest applied to the rows of their partition.
  struct FactMessage {
    int32_t partition = -1;
    int64_t offset = -1;
    std::string_view value;
  };
  std::vector<Outcome> HandleFacts(const std::vector<FactMessage>& messages,
                                   const std::function<void()>& catch_up_places = {});
  // A record of the model topic. Records of owned partitions are this engine's own and are
  // skipped; rows of the others are held until their partition's commit marker, then
  // installed with its filter and by-place offset (all in the next Flush).
  Outcome HandleModelRecord(int32_t partition, int64_t offset, std::string_view key,
                            std::string_view value);
  // The rows (each with its newest committed value, then a commit marker per partition) that
  // the Flushes since the last publication committed for the owned by-place partitions, to
  // produce to the model topic: once publish_interval_ms passed since the last publication,
  // or now with `now` (before giving partitions up). Empty when not due.
  std::vector<OutRecord> TakeModelRecords(bool now = false);
  // Stages every committed row of the owned by-place partitions, each partition's followed by
  // its committed marker, for the next TakeModelRecords: a reader that started late, or whose
  // offset fell off a log that keeps ~5 MiB per partition (the embedded cluster never
  // compacts), gets every row again. Reads the store (one full scan of the row spaces), so
  // it is what the last commit holds. Returns the rows staged.
  Result<size_t> RepublishModel();
  // Counts a rejected input durably under `code` (dead letters are counted once).
  void CountRejected(std::string_view code);
  // Marks everything before offset+1 of topic/partition as handled.
  void MarkConsumed(std::string_view topic, int32_t partition, int64_t offset);

  // True when the pending batch should be committed now.
  bool FlushDue() const;
  // Commits pending state changes with the offsets they came from. Returns the offsets
  // committed (topic, partition) -> next offset, e.g. to mirror them to Kafka: every batch's
  // when it returns, the one still being written behind included. With `behind` (not with
  // scale-out), the batch is written to the store on a thread of its own while the caller goes
  // on applying events, and the offsets returned are those of the batch before it, which is
  // committed by then. A failed write fails the next Flush, as a failed commit does.
  using Offsets = std::map<std::pair<std::string, int32_t>, int64_t>;
  Result<Offsets> Flush(bool behind = false);
  // Next offset to read as committed in the store.
  std::optional<int64_t> StoredOffset(std::string_view topic, int32_t partition) const;

  // Request path (any thread). Bytes -> response (request_id and JSON).
  std::pair<std::string, std::string> AnswerRequest(std::string_view key, std::string_view value);
  Answer Recommend(const Query& query);

  // Read access under the shared lock, for HTTP and tools.
  template <class Fn>
  auto WithModel(Fn fn) const {
    std::shared_lock lock(mu_);
    return fn(static_cast<const Model&>(model_));
  }
  const EngineCounters& counters() const { return counters_; }
  const EngineOptions& options() const { return options_; }
  const ThreadRetrainRunner& retrainer() const { return retrainer_; }
  const StateStore& store() const { return *store_; }
  // The model_version answers carry.
  std::string model_version() const {
    std::shared_lock lock(mu_);
    return ModelVersion(model_, options_.recommend);
  }

 private:
  Engine(EngineOptions options, std::unique_ptr<StateStore> store);
  // Ingest thread, before taking the model lock for `event`: true when the model will install
  // the retrain that is still training at this event (Model::Apply would wait for it with the
  // lock held, blocking every answer); the caller then waits for it without the lock.
  bool RetrainInstallDue(const Event& event) const;
  // Model::Apply, or with scale-out and a source ApplyUser and the event's facts to the
  // outbox. Under the exclusive lock.
  Status ApplyLocked(const Event& event, const std::optional<FactSource>& source);
  // CompleteLoad's work at once, the lock held.
  Status CompleteLoadLocked();
  // CompleteLoad's rows: read a chunk ahead on a thread of their own, each installed under the
  // exclusive lock.
  Status CompleteRowsInChunks();
  bool scaled() const { return options_.scale_out.partitions > 0; }
  // Flush's part for scale-out: the fact filters changed, and (into `rows`) the rows of owned
  // partitions that `persist` writes, each partition's followed by its commit marker.
  void PersistScaled(StateStore::Batch& batch, std::vector<OutRecord>& rows);
  // After a successful commit: the rows and markers PersistScaled gave, into the publication.
  void StageModelRecords(std::vector<OutRecord> records);
  // The stored fact filters ("facts/<q>" in the meta space), at Open.
  Status LoadFilters();

  EngineOptions options_;
  std::unique_ptr<StateStore> store_;
  LearnedScorer scorer_;
  // Declared before the model, which points at it, so it outlives the model.
  ThreadRetrainRunner retrainer_;
  mutable WriterPriorityMutex mu_;
  Model model_;
  EngineCounters counters_;

  // Pending batch (ingest thread only).
  std::map<std::pair<std::string, int32_t>, int64_t> pending_offsets_;
  int pending_messages_ = 0;
  std::optional<std::chrono::steady_clock::time_point> pending_since_;
  // Set when a commit failed; every later Flush fails with it.
  Status commit_failure_;
  // The batch each Flush fills and commits (Commit empties it), kept for its buffers'
  // capacity: a flush writes tens of MB, faulted in anew by a batch made per flush.
  StateStore::Batch flush_batch_;
  // The batch a Flush(behind) left being written, its offsets, and the write (valid while one
  // is in flight). The two batches swap roles flush after flush.
  StateStore::Batch behind_batch_;
  Offsets behind_offsets_;
  std::future<Status> behind_;
  // Waits for the batch being written behind, if any: its offsets into `committed`.
  Status AwaitBehind(Offsets& committed);

  // Scale-out state (ingest thread only).
  EventFact fact_;
  std::vector<OutRecord> facts_out_;
  // Committed rows and markers not published yet: partition -> model key -> value (a marker
  // under kModelCommitKey, published after its partition's rows).
  std::map<int32_t, std::map<std::string, std::string>> model_out_;
  std::chrono::steady_clock::time_point last_publish_{};
  std::set<int32_t> owned_by_place_;
  // Per by-place partition: the last source offsets its rows include (owned ones: applied
  // here; others: as the last installed commit marker said), stored under "facts/<q>".
  std::map<int32_t, FactFilter> filters_;
  std::set<int32_t> dirty_filters_;
  // Events partitions whose stored offsets the next Flush clears.
  std::set<int32_t> cleared_partitions_;
  // Model-topic rows of a partition read since its last commit marker.
  struct StagedRow {
    Space space;
    std::string key;
    std::string value;
  };
  std::map<int32_t, std::vector<StagedRow>> staged_;
};

}  // namespace locus
