#include "consumers/engine_loop.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <exception>

namespace locus::kafka {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int32_t kAnyPartition = -1;  // RD_KAFKA_PARTITION_UA without its C cast
// Messages taken from the consumer per turn of the loop (those already there).
constexpr size_t kMaxPolled = 256;
// Scale-out: facts queued for the cluster beyond which the loop reads no more events.
constexpr int64_t kMaxQueuedFacts = 50000;

}  // namespace

void EngineLoop::QueueDeleter::operator()(rd_kafka_queue_s* q) const {
  if (q != nullptr) rd_kafka_queue_destroy(q);
}

EngineLoop::EngineLoop(Engine& engine, LoopOptions options)
    : engine_(engine), options_(std::move(options)) {}

EngineLoop::~EngineLoop() = default;

Result<std::unique_ptr<EngineLoop>> EngineLoop::Create(Engine& engine, LoopOptions options) {
  std::unique_ptr<EngineLoop> loop(new EngineLoop(engine, std::move(options)));
  const KafkaConfig& k = loop->options_.kafka;

  Properties producer = loop->options_.client;
  producer["linger.ms"] = "0";                 // answers leave at once (each waits on a person)
  producer["partitioner"] = "murmur2_random";  // as Java clients: keys land where they expect
  // Small messages (answers) leave at once, not held by Nagle's algorithm for an ACK.
  producer["socket.nagle.disable"] = "true";
  producer["message.max.bytes"] = "4194304";
  auto p = Producer::Create(producer);
  if (!p.ok()) return p.status();
  loop->producer_ = std::move(*p);

  auto places = TableReader::Create(
      engine, loop->options_.client, k.places_topic,
      [&engine, topic = k.places_topic](int32_t partition, int64_t offset, std::string_view key,
                                        std::optional<std::string_view> value) {
        return engine.HandlePlace(topic, partition, offset, key, value);
      });
  if (!places.ok()) return places.status();
  loop->places_ = std::move(*places);

  if (k.scale_out) {
    Properties fp = loop->options_.client;
    fp["linger.ms"] = "5";
    fp["enable.idempotence"] = "true";
    fp["message.max.bytes"] = "4194304";
    if (k.exactly_once) fp["transactional.id"] = loop->options_.transactional_id;
    auto f = Producer::Create(fp);
    if (!f.ok()) return f.status();
    loop->fact_producer_ = std::move(*f);
    if (k.exactly_once) {
      Status s = loop->fact_producer_->InitTransactions(30000);
      if (!s.ok()) return s;
      spdlog::info("facts and model rows in transactions (transactional.id {})",
                   loop->options_.transactional_id);
    }
    auto model = TableReader::Create(
        engine, loop->options_.client, k.model_topic,
        [&engine](int32_t partition, int64_t offset, std::string_view key,
                  std::optional<std::string_view> value) {
          return engine.HandleModelRecord(partition, offset, key, value.value_or(""));
        });
    if (!model.ok()) return model.status();
    loop->model_ = std::move(*model);
    // Facts go to the partition of their row explicitly: every topic of the split must have
    // the engine's partition count.
    const int32_t want = engine.options().scale_out.partitions;
    for (const std::string& topic : {k.events_topic, k.by_place_topic, k.model_topic}) {
      auto n = PartitionCount(loop->producer_->raw(), topic);
      if (!n.ok()) return n.status();
      if (*n != want) {
        return Status::Error("kafka.scale_out: " + topic + " has " + std::to_string(*n) +
                             " partitions where the engine splits " + std::to_string(want) +
                             " (events, by-place and model topics need the same count)");
      }
    }
  }

  Properties c = loop->options_.client;
  c["group.id"] = k.group_id;
  c["enable.auto.commit"] = "false";
  c["enable.auto.offset.store"] = "false";
  c["auto.offset.reset"] = "earliest";
  c["enable.partition.eof"] = "true";
  c["session.timeout.ms"] = std::to_string(k.session_timeout_ms);
  c["heartbeat.interval.ms"] = std::to_string(std::max(100, k.session_timeout_ms / 6));
  c["partition.assignment.strategy"] = "range";
  c["fetch.max.bytes"] = "8388608";
  c["socket.nagle.disable"] = "true";  // fetch requests leave at once (see the producer's)
  c["max.partition.fetch.bytes"] = "4194304";
  c["receive.message.max.bytes"] = "16777216";
  // An idle fetch waits at most this long for new data (librdkafka's default is 500 ms). The
  // embedded cluster answers a waiting fetch only when the wait ends, so a request arriving
  // on an idle partition waits for it (bench/README.md "Round trip"): 2 ms there (round trip
  // p99 ~8 ms at 1k req/s; an idle engine then spends ~11% of a core polling, 17% at 1 ms,
  // 7% at 5 ms). A real broker answers as soon as data arrives, so there the wait only bounds
  // idle polling. kafka.librdkafka.fetch.wait.max.ms overrides both.
  c["fetch.wait.max.ms"] = k.bootstrap_servers.empty() ? "2" : "100";
  for (const auto& [key, value] : loop->options_.client) c[key] = value;  // operators win
  c["group.id"] = k.group_id;
  auto conf = NewConf(c);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_rebalance_cb(
      *conf,
      reinterpret_cast<void (*)(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*,
                                void*)>(&EngineLoop::RebalanceThunk));
  rd_kafka_conf_set_opaque(*conf, loop.get());
  auto h = NewClient(Role::kConsumer, c, *conf);
  if (!h.ok()) return h.status();
  loop->consumer_ = std::move(*h);
  rd_kafka_poll_set_consumer(loop->consumer_.get());
  loop->requests_queue_.reset(rd_kafka_queue_new(loop->consumer_.get()));

  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(3);
  rd_kafka_topic_partition_list_add(topics, k.events_topic.c_str(), kAnyPartition);
  rd_kafka_topic_partition_list_add(topics, k.requests_topic.c_str(), kAnyPartition);
  // The range assignor gives a member the same partition numbers of every topic (all have
  // the same count): the by-place partitions it aggregates are those of the users it owns.
  if (k.scale_out) {
    rd_kafka_topic_partition_list_add(topics, k.by_place_topic.c_str(), kAnyPartition);
  }
  rd_kafka_resp_err_t e = rd_kafka_subscribe(loop->consumer_.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Error(std::string("subscribing: ") + rd_kafka_err2str(e));
  }
  return loop;
}

void EngineLoop::RebalanceThunk(rd_kafka_s* /*rk*/, int err, void* partitions, void* opaque) {
  static_cast<EngineLoop*>(opaque)->OnRebalance(err, partitions);
}

void EngineLoop::OnRebalance(int err, void* raw) {
  auto* list = static_cast<rd_kafka_topic_partition_list_t*>(raw);
  rd_kafka_t* rk = consumer_.get();
  counters_.rebalances++;
  const auto began = Clock::now();
  auto ms = [&began] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - began).count();
  };
  // Messages polled before this callback came are still from the partitions held until now:
  // handle them first, so what is committed below includes them (and nothing is read twice).
  HandlePolled();
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::vector<TopicPartition> requests;
    eof_.clear();
    assigned_.clear();
    if (scaled()) {
      // A by-place partition resumes where the rows its previous owner last published end:
      // read the model topic to its end (that owner published before letting go) and commit
      // what was installed, so the store's offsets below are those rows' offsets.
      Status caught = model_->CatchUp(30000);
      if (!caught.ok()) spdlog::warn("before taking partitions: {}", caught.message());
      spdlog::info("model topic read to its end in {} ms", ms());
      std::set<int32_t> by_place, users;
      for (int i = 0; i < list->cnt; ++i) {
        if (options_.kafka.by_place_topic == list->elems[i].topic) {
          by_place.insert(list->elems[i].partition);
        } else if (options_.kafka.events_topic == list->elems[i].topic) {
          users.insert(list->elems[i].partition);
        }
      }
      if (by_place != users) {
        spdlog::error(
            "scale-out: assigned events partitions and by-place partitions differ; every "
            "member of group {} must run with kafka.scale_out and topics of equal partition "
            "counts (answers and state are wrong until it does)",
            options_.kafka.group_id);
      }
      // The users of events partitions held before (or stored before a restart) and not now
      // are dropped with their offsets: their next owner rebuilds them, and should this
      // instance get one back it rebuilds it too, from that partition's first event.
      std::set<int32_t> gone;
      for (int32_t p = 0; p < engine_.options().scale_out.partitions; ++p) {
        if (!users.contains(p) && engine_.StoredOffset(options_.kafka.events_topic, p)) {
          gone.insert(p);
        }
      }
      if (!gone.empty()) {
        const size_t dropped = engine_.DropUserPartitions(gone);
        spdlog::info("dropped {} users of {} events partitions given up", dropped, gone.size());
      }
      // One commit of what was installed and dropped, before this engine owns the new
      // by-place partitions (so the installed rows are not published as its own).
      Status s = FlushAndMirror();
      if (!s.ok() && fatal_.ok()) fatal_ = s;
      engine_.OwnByPlace(std::move(by_place));
    }
    const std::map<TopicPartition, int64_t> group = GroupCommittedRequests(list);
    for (int i = 0; i < list->cnt; ++i) {
      rd_kafka_topic_partition_t& tp = list->elems[i];
      std::optional<int64_t> stored = engine_.StoredOffset(tp.topic, tp.partition);
      // A requests partition resumes after the last request answered by any instance of the
      // group: its previous owner (another instance after a rebalance, or this one before
      // its store was lost) committed it, and answers carry no state to restore.
      if (auto g = group.find({tp.topic, tp.partition}); g != group.end()) {
        stored = std::max(stored.value_or(g->second), g->second);
      }
      tp.offset = stored.value_or(RD_KAFKA_OFFSET_BEGINNING);
      if (!stored && scaled() && options_.kafka.events_topic == tp.topic) {
        // A partition whose users this instance rebuilds from the first event retained.
        auto w = QueryWatermarks(rk, tp.topic, tp.partition);
        // Its users' requests wait until their events are applied up to where the log ends now.
        if (w.ok() && w->high > w->low) rebuilding_[tp.partition] = {w->high, Clock::now()};
        if (w.ok() && w->low > 0) {
          spdlog::error(
              "OFFSET LOST: {}/{}: rebuilding its users from offset {}, the oldest retained: "
              "{} events before it are gone, and with them part of those users' history",
              tp.topic, tp.partition, w->low, w->low);
          counters_.offsets_lost++;
          engine_.CountRejected("offset_lost");
        }
      }
      if (stored) {
        auto w = QueryWatermarks(rk, tp.topic, tp.partition);
        if (w.ok() && *stored < w->low) {
          spdlog::error(
              "OFFSET LOST: {}/{} stored offset {} fell off the log (oldest kept is {}): {} "
              "messages were never read. The embedded cluster keeps ~5 MiB per partition; "
              "pace producers by the engine's lag.",
              tp.topic, tp.partition, *stored, w->low, w->low - *stored);
          counters_.offsets_lost++;
          engine_.CountRejected("offset_lost");
          tp.offset = w->low;
        } else if (w.ok() && *stored > w->high) {
          spdlog::error(
              "{}/{}: stored offset {} is past the end of the log ({}); was the topic "
              "recreated? Reading from its end.",
              tp.topic, tp.partition, *stored, w->high);
          counters_.offsets_lost++;
        }
      }
      assigned_.emplace_back(tp.topic, tp.partition);
      if (tp.topic == options_.kafka.requests_topic) {
        requests.emplace_back(tp.topic, tp.partition);
        // Route the partition to the workers' queue (before assign(), so its first fetch goes
        // there). Should that fail, its messages reach the loop, which answers them itself.
        rd_kafka_queue_t* q = rd_kafka_queue_get_partition(rk, tp.topic, tp.partition);
        if (q != nullptr) {
          rd_kafka_queue_forward(q, requests_queue_.get());
          rd_kafka_queue_destroy(q);
        } else {
          spdlog::warn("{}/{}: no partition queue; the loop answers its requests", tp.topic,
                       tp.partition);
        }
      } else {
        eof_[{tp.topic, tp.partition}] = false;
      }
    }
    request_offsets_.Assign(requests);
    counters_.assigned_partitions = static_cast<int64_t>(assigned_.size());
    spdlog::info("assigned {} partitions in {} ms", list->cnt, ms());
    rd_kafka_assign(rk, list);
    // librdkafka keeps a partition's pause across an unassignment: resume every requests
    // partition paused before that is not being rebuilt now, pause those that are.
    for (const TopicPartition& tp : requests) {
      auto rebuild = rebuilding_.find(tp.second);
      if (rebuild != rebuilding_.end()) {
        spdlog::info("{}/{}: rebuilding its users from up to {} events; their requests wait",
                     options_.kafka.events_topic, tp.second, rebuild->second.first);
      }
      PauseRequests(tp.second, rebuild != rebuilding_.end());
    }
    if (workers_) workers_->Resume();
  } else {
    // Answer and deliver what was taken from the partitions being taken away, commit it with
    // what was applied, then let them go. What was fetched but not taken is left for the next
    // owner (its offsets are not stored).
    if (workers_) workers_->Pause();
    Status s = producer_->Flush(10000);
    if (!s.ok()) spdlog::warn("before giving up partitions: {}", s.message());
    StoreRequestOffsets();
    s = FlushAndMirror(/*wait=*/true);
    if (!s.ok() && fatal_.ok()) fatal_ = s;
    request_offsets_.Clear();
    rebuilding_.clear();
    if (scaled()) engine_.OwnByPlace({});
    rd_kafka_assign(rk, nullptr);
    eof_.clear();
    assigned_.clear();
    counters_.assigned_partitions = 0;
    spdlog::info("partitions revoked in {} ms", ms());
  }
}

std::map<TopicPartition, int64_t> EngineLoop::GroupCommittedRequests(const void* raw) {
  const auto* assigned = static_cast<const rd_kafka_topic_partition_list_t*>(raw);
  std::map<TopicPartition, int64_t> out;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(assigned->cnt);
  for (int i = 0; i < assigned->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = assigned->elems[i];
    if (tp.topic == options_.kafka.requests_topic) {
      rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition);
    }
  }
  if (list->cnt > 0) {
    const rd_kafka_resp_err_t err = rd_kafka_committed(consumer_.get(), list, 10000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn(
          "reading the group's committed requests offsets: {} (resuming from the "
          "store's own)",
          rd_kafka_err2str(err));
    } else {
      for (int i = 0; i < list->cnt; ++i) {
        const rd_kafka_topic_partition_t& tp = list->elems[i];
        if (tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.offset >= 0) {
          out[{tp.topic, tp.partition}] = tp.offset;
        }
      }
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

void EngineLoop::DeadLetter(const std::string& topic, int32_t partition, int64_t offset,
                            std::string_view key, std::string_view payload,
                            const Outcome& outcome) {
  locus::DeadLetter d;
  d.reason = outcome.code + ": " + outcome.reason;
  d.topic = topic;
  d.partition = partition;
  d.offset = offset;
  d.payload = std::string(payload.substr(0, kDeadLetterPayloadBytes + 8));
  if (!key.empty()) d.key = std::string(key);
  Status s = producer_->Produce(options_.kafka.deadletter_topic, key, EncodeDeadLetter(d));
  if (!s.ok()) spdlog::error("dead letter for {}/{}@{}: {}", topic, partition, offset, s.message());
  counters_.deadletters++;
  counters_.deadletters_by_reason.Add(outcome.code, 1);
}

std::optional<RequestMessage> EngineLoop::TakeRequest(int timeout_ms) {
  for (;;) {
    rd_kafka_message_t* m = rd_kafka_consume_queue(requests_queue_.get(), timeout_ms);
    if (m == nullptr) return std::nullopt;
    std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owned(
        m, rd_kafka_message_destroy);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      request_offsets_.AtEnd({rd_kafka_topic_name(m->rkt), m->partition});
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("requests consumer: {}", rd_kafka_message_errstr(m));
      continue;
    }
    RequestMessage r;
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload != nullptr) r.value.assign(static_cast<const char*>(m->payload), m->len);
    request_offsets_.Taken({r.topic, r.partition}, r.offset);
    last_request_ = Clock::now().time_since_epoch().count();
    return r;
  }
}

void EngineLoop::AnswerRequest(const RequestMessage& r) {
  TopicPartition tp{r.topic, r.partition};
  const int64_t offset = r.offset;
  auto done = [this, tp, offset](const Status&) { request_offsets_.Done(tp, offset); };
  try {
    auto [request_id, response] = engine_.AnswerRequest(r.key, r.value);
    // A failed delivery is logged and counted by the producer; the request then counts as
    // handled all the same (librdkafka retried it for message.timeout.ms), so that one lost
    // response does not hold back the partition's stored offset forever.
    Status s = producer_->Produce(options_.kafka.responses_topic,
                                  request_id.empty() ? std::string_view(r.key) : request_id,
                                  response, -1, done);
    if (!s.ok()) {
      spdlog::error("response to {}: {}", request_id, s.message());
      done(s);
    }
    counters_.responses++;
  } catch (const std::exception& e) {
    spdlog::error("answering {}/{}@{}: {}", r.topic, r.partition, r.offset, e.what());
    done(Status::Error(e.what()));
  }
  producer_->Poll(0);  // serve delivery reports here too, so offsets advance while ingest is busy
}

void EngineLoop::HandlePolled() {
  std::vector<rd_kafka_message_t*> polled;
  polled.swap(polled_);
  // Runs of events (or of facts) are handled as one batch each, in order with the rest.
  enum Kind { kEvent, kFact, kOther };
  auto kind = [this](const rd_kafka_message_t* m) {
    if (m == nullptr || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) return kOther;
    const char* topic = rd_kafka_topic_name(m->rkt);
    if (options_.kafka.events_topic == topic) return kEvent;
    if (scaled() && options_.kafka.by_place_topic == topic) return kFact;
    return kOther;
  };
  Kind run = kOther;     // kind of the current run
  size_t run_start = 0;  // its first message
  for (size_t i = 0; i <= polled.size(); ++i) {
    rd_kafka_message_t* m = i < polled.size() ? polled[i] : nullptr;
    const Kind k = kind(m);
    if (k != kOther && k == run) continue;  // part of the run
    if (run == kEvent) ApplyEvents(polled.data() + run_start, i - run_start);
    if (run == kFact) ApplyFacts(polled.data() + run_start, i - run_start);
    run = k;
    run_start = i;
    if (m == nullptr) break;
    if (k != kOther) continue;
    const std::string topic = rd_kafka_topic_name(m->rkt);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (topic == options_.kafka.requests_topic) {
        request_offsets_.AtEnd({topic, m->partition});
      } else {
        eof_[{topic, m->partition}] = true;
        if (topic == options_.kafka.events_topic) Rebuilt(m->partition, m->offset);
      }
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("consumer: {}", rd_kafka_message_errstr(m));
      if (m->err == RD_KAFKA_RESP_ERR__FATAL) fatal_ = Status::Error(rd_kafka_message_errstr(m));
    } else if (topic == options_.kafka.requests_topic) {
      // Only when the partition could not be routed to the workers (see OnRebalance).
      static std::atomic<bool> logged{false};
      if (!logged.exchange(true)) {
        spdlog::warn("requests of {}/{} reach the loop thread, not the workers", topic,
                     m->partition);
      }
      RequestMessage r{topic, m->partition, m->offset, {}, {}};
      if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) r.value.assign(static_cast<const char*>(m->payload), m->len);
      request_offsets_.Taken({topic, m->partition}, m->offset);
      AnswerRequest(r);
    }
  }
  for (rd_kafka_message_t* m : polled) rd_kafka_message_destroy(m);
}

void EngineLoop::ApplyEvents(rd_kafka_message_t* const* messages, size_t n) {
  if (n == 0) return;
  std::vector<Engine::EventMessage> batch;
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_message_t* m = messages[i];
    if (options_.before_event) options_.before_event();
    eof_[{options_.kafka.events_topic, m->partition}] = false;
    batch.push_back({options_.kafka.events_topic, m->partition, m->offset, Payload(m)});
  }
  DeadLetterRejected(options_.kafka.events_topic, messages,
                     engine_.HandleEvents(batch, [this] { CatchUpPlaces(); }));
  if (scaled()) Publish(options_.kafka.by_place_topic, engine_.TakeFacts());
  if (!rebuilding_.empty()) {
    for (size_t i = 0; i < n; ++i) Rebuilt(messages[i]->partition, messages[i]->offset + 1);
  }
}

void EngineLoop::PauseRequests(int32_t partition, bool pause) {
  if (paused_requests_.contains(partition) == pause) return;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, options_.kafka.requests_topic.c_str(), partition);
  const rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(consumer_.get(), list)
                                        : rd_kafka_resume_partitions(consumer_.get(), list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("{} requests partition {}: {}", pause ? "pausing" : "resuming", partition,
                 rd_kafka_err2str(err));
  } else if (pause) {
    paused_requests_.insert(partition);
  } else {
    paused_requests_.erase(partition);
  }
  rd_kafka_topic_partition_list_destroy(list);
}

void EngineLoop::Rebuilt(int32_t partition, int64_t next) {
  auto it = rebuilding_.find(partition);
  if (it == rebuilding_.end() || next < it->second.first) return;
  spdlog::info(
      "{}/{}: users rebuilt in {} ms; answering their requests", options_.kafka.events_topic,
      partition,
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - it->second.second)
          .count());
  rebuilding_.erase(it);
  PauseRequests(partition, false);
}

void EngineLoop::ApplyFacts(rd_kafka_message_t* const* messages, size_t n) {
  std::vector<Engine::FactMessage> batch;
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_message_t* m = messages[i];
    eof_[{options_.kafka.by_place_topic, m->partition}] = false;
    batch.push_back({m->partition, m->offset, Payload(m)});
  }
  DeadLetterRejected(options_.kafka.by_place_topic, messages,
                     engine_.HandleFacts(batch, [this] { CatchUpPlaces(); }));
}

std::string_view EngineLoop::Payload(const rd_kafka_message_t* m) {
  return {static_cast<const char*>(m->payload), m->payload != nullptr ? m->len : 0};
}

void EngineLoop::CatchUpPlaces() {
  // Producers publish a place before its events: read the places topic to its end.
  Status s = places_->CatchUp(10000);
  if (!s.ok()) spdlog::warn("catching up places: {}", s.message());
}

void EngineLoop::DeadLetterRejected(const std::string& topic, rd_kafka_message_t* const* messages,
                                    const std::vector<Outcome>& outcomes) {
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].ok) continue;
    const rd_kafka_message_t* m = messages[i];
    std::string_view key(static_cast<const char*>(m->key), m->key != nullptr ? m->key_len : 0);
    DeadLetter(topic, m->partition, m->offset, key, Payload(m), outcomes[i]);
  }
}

void EngineLoop::Publish(const std::string& topic, std::vector<Engine::OutRecord> records) {
  if (records.empty()) return;
  if (options_.kafka.exactly_once && !in_txn_) {
    Status s = fact_producer_->BeginTransaction();
    if (!s.ok()) {
      spdlog::error("{}", s.message());
      undelivered_++;  // these records cannot be sent as they must: stop before committing
      return;
    }
    in_txn_ = true;
  }
  for (Engine::OutRecord& r : records) {
    Status s = fact_producer_->Produce(topic, r.key, r.value, r.partition, [this](const Status& d) {
      if (!d.ok()) undelivered_++;
    });
    if (!s.ok()) {
      spdlog::error("producing to {}/{}: {}", topic, r.partition, s.message());
      undelivered_++;
    }
  }
}

void EngineLoop::StoreRequestOffsets() {
  for (const auto& [tp, next] : request_offsets_.Advanced()) {
    engine_.MarkConsumed(tp.first, tp.second, next - 1);
  }
  counters_.requests_in_flight = request_offsets_.in_flight();
}

Result<bool> EngineLoop::Deliver(int timeout_ms) {
  std::string failure;
  if (in_txn_) {
    bool retry = false;
    Status s = fact_producer_->CommitTransaction(timeout_ms, retry);
    if (!s.ok() && retry) {
      spdlog::warn("commit postponed: {}", s.message());
      return false;
    }
    in_txn_ = false;
    if (!s.ok()) failure = s.message();
  } else {
    Status s = fact_producer_->Flush(timeout_ms);
    if (!s.ok() && undelivered_.load() == 0) {
      spdlog::warn("commit postponed: {}", s.message());
      return false;
    }
  }
  if (undelivered_.load() > 0) failure = std::to_string(undelivered_.load()) + " failed";
  if (!failure.empty()) {
    return Status::Error("facts or model rows could not be delivered (" + failure +
                         "); stopping without committing past them: a restart sends them "
                         "again from the store");
  }
  return true;
}

Status EngineLoop::FlushAndMirror(bool wait) {
  if (scaled()) {
    // Every fact of the events in this batch is delivered before their offsets commit: one
    // lost after the commit would be lost for good (one sent twice is dropped by the filter).
    // Still queued (a busy cluster): the commit waits for a later turn; failed for good: stop,
    // and a restart sends them again from the store's offsets.
    Result<bool> delivered = Deliver(wait ? 60000 : 1000);
    if (!delivered.ok()) return delivered.status();
    if (!*delivered) return Status::Ok();  // postponed
  }
  // Written behind while the loop goes on, unless the caller waits (a revoke, the end).
  auto committed = engine_.Flush(/*behind=*/!wait);
  if (!committed.ok()) return committed.status();
  if (scaled()) {
    Publish(options_.kafka.model_topic, engine_.TakeModelRecords(wait));
    // Before giving partitions up the next owner must find them on the model topic.
    if (wait) {
      Result<bool> published = Deliver(60000);
      if (!published.ok() || !*published) {
        spdlog::warn("publishing the model rows before letting go: {}",
                     published.ok() ? "timed out" : published.status().message());
      }
    }
  }
  // Mirror the group's offsets to Kafka: for lag monitoring (the store stays the truth of
  // the state's offsets), and for the requests partitions the next owner's starting point
  // (answers carry no state, so it need not hold ours; see OnRebalance). The store also keeps
  // by-place offsets of partitions others aggregate (from their model rows) and the global
  // tables' offsets: CommitToGroup keeps only what this member holds.
  CommitToGroup(*committed, wait);
  return Status::Ok();
}

void EngineLoop::MirrorStoredOffsets() {
  const auto now = Clock::now();
  if (now < mirror_due_) return;
  mirror_due_ = now + std::chrono::seconds(5);
  std::map<TopicPartition, int64_t> next;
  for (const auto& [topic, partition] : assigned_) {
    // Requests partitions are mirrored as their answers are delivered (StoreRequestOffsets).
    if (topic == options_.kafka.requests_topic) continue;
    if (std::optional<int64_t> at = engine_.StoredOffset(topic, partition)) {
      next[{topic, partition}] = *at;
    }
  }
  CommitToGroup(next, /*wait=*/false);
}

void EngineLoop::CommitToGroup(const std::map<TopicPartition, int64_t>& next, bool wait) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(8);
  for (const auto& [tp, offset] : next) {
    if (std::find(assigned_.begin(), assigned_.end(), tp) == assigned_.end()) continue;
    rd_kafka_topic_partition_list_add(list, tp.first.c_str(), tp.second)->offset = offset;
  }
  if (list->cnt > 0) {
    const rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), list, wait ? 0 : 1);
    if (wait && err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn(
          "committing the group's offsets: {} (the next owner of a requests "
          "partition may answer some requests again)",
          rd_kafka_err2str(err));
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
}

bool EngineLoop::AllRead() const {
  if (eof_.empty() || !places_->at_end() || !request_offsets_.AllAnswered()) return false;
  if (model_ && !model_->at_end()) return false;
  for (const auto& [tp, at_end] : eof_) {
    if (!at_end) return false;
  }
  return true;
}

void EngineLoop::UpdateLag() {
  std::map<std::string, int64_t> lag;
  if (assigned_.empty()) {
    counters_.lag_by_topic.Set(std::move(lag));
    return;
  }
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(assigned_.size()));
  for (const TopicPartition& tp : assigned_) {
    rd_kafka_topic_partition_list_add(list, tp.first.c_str(), tp.second);
  }
  rd_kafka_position(consumer_.get(), list);
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    int64_t low = -1, high = -1;
    rd_kafka_get_watermark_offsets(consumer_.get(), tp.topic, tp.partition, &low, &high);
    int64_t position = tp.offset;
    if (position < 0) position = engine_.StoredOffset(tp.topic, tp.partition).value_or(low);
    lag[tp.topic] += (high >= 0 && position >= 0) ? std::max<int64_t>(0, high - position) : 0;
  }
  rd_kafka_topic_partition_list_destroy(list);
  counters_.lag_by_topic.Set(std::move(lag));
}

Status EngineLoop::Run(const std::atomic<bool>& stop) {
  // The rows and users the engine's open left in the store, before any event (answers go on
  // over HTTP meanwhile; requests from the topic wait for the workers, below).
  const auto rows_start = Clock::now();
  const bool load_pending = engine_.WithModel([](const Model& m) { return m.load_pending(); });
  Status s = engine_.CompleteLoad();
  if (!s.ok()) return s;
  if (load_pending) {
    spdlog::info("co-visit and transition rows and users loaded in {:.1f} s",
                 std::chrono::duration<double>(Clock::now() - rows_start).count());
  }
  // The places table is read completely before anything else.
  s = places_->CatchUp(60000);
  if (!s.ok()) return s;
  // With scale-out, the rows other instances aggregate too, before answering anything.
  if (model_) {
    s = model_->CatchUp(60000);
    if (!s.ok()) return s;
  }
  workers_ = std::make_unique<RequestWorkers>(
      std::max(1, options_.request_workers),
      [this](int timeout_ms) { return TakeRequest(timeout_ms); },
      [this](const RequestMessage& r) { AnswerRequest(r); });
  auto last_input = Clock::now();
  auto last_lag = Clock::time_point();
  auto last_republish = Clock::now();
  while (!stop.load() && fatal_.ok()) {
    if (Clock::now() - last_lag >= std::chrono::seconds(1)) {
      UpdateLag();
      last_lag = Clock::now();
    }
    auto polled = places_->PollAvailable(1000);
    if (!polled.ok()) {
      fatal_ = polled.status();
      break;
    }
    if (*polled > 0) last_input = Clock::now();
    if (model_) {
      polled = model_->PollAvailable(1000);
      if (!polled.ok()) {
        fatal_ = polled.status();
        break;
      }
      if (*polled > 0) last_input = Clock::now();
    }

    // Scale-out: while the cluster has not taken the facts already sent, read no more events
    // (each adds facts; the commit waits for all of them).
    const bool backlog = fact_producer_ && fact_producer_->queued() > kMaxQueuedFacts;
    if (backlog) fact_producer_->Poll(50);
    // What is there now (waiting up to 50 ms for the first), handled in order; runs of events
    // are applied as batches (Engine::HandleEvents: one wait for the model lock per batch).
    for (rd_kafka_message_t* m = backlog ? nullptr : rd_kafka_consumer_poll(consumer_.get(), 50);
         m != nullptr;
         m = polled_.size() < kMaxPolled ? rd_kafka_consumer_poll(consumer_.get(), 0) : nullptr) {
      polled_.push_back(m);
    }
    if (!polled_.empty()) {
      bool input = false;
      for (const rd_kafka_message_t* m : polled_) input |= m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
      HandlePolled();
      if (input) last_input = Clock::now();
    }
    producer_->Poll(0);
    if (fact_producer_) fact_producer_->Poll(0);
    StoreRequestOffsets();
    if (engine_.FlushDue()) {
      s = FlushAndMirror();
      if (!s.ok()) {
        fatal_ = s;
        break;
      }
    }
    MirrorStoredOffsets();
    // Rows committed while no further commit came, once their publication is due; every
    // row of the owned partitions again once model_republish_s passed.
    if (scaled()) {
      const int republish_s = options_.kafka.model_republish_s;
      if (republish_s > 0 && Clock::now() - last_republish >= std::chrono::seconds(republish_s)) {
        last_republish = Clock::now();
        Result<size_t> staged = engine_.RepublishModel();
        if (!staged.ok()) {
          spdlog::warn("republishing the model: {}", staged.status().message());
        } else {
          spdlog::info("republishing the model: {} rows of {} partitions", *staged,
                       engine_.owned_by_place().size());
          Publish(options_.kafka.model_topic, engine_.TakeModelRecords(/*now=*/true));
        }
      }
      Publish(options_.kafka.model_topic, engine_.TakeModelRecords());
    }
    const auto last_request = Clock::time_point(Clock::duration(last_request_.load()));
    if (options_.exit_when_idle_s >= 0 && AllRead() &&
        std::chrono::duration<double>(Clock::now() - std::max(last_input, last_request)).count() >=
            options_.exit_when_idle_s) {
      spdlog::info("idle for {} s with every partition read to its end: stopping",
                   options_.exit_when_idle_s);
      break;
    }
  }
  // Stop -> drain the workers -> deliver their responses -> final commit -> close.
  workers_->Stop(std::chrono::milliseconds(std::max(0, options_.drain_ms)));
  Status delivered = producer_->Flush(10000);
  StoreRequestOffsets();
  Status flushed = FlushAndMirror(/*wait=*/true);
  rd_kafka_consumer_close(consumer_.get());
  if (!fatal_.ok()) return fatal_;
  if (!flushed.ok()) return flushed;
  return delivered;
}

}  // namespace locus::kafka
