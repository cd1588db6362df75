// roundtrip: the Kafka request path under load, and freshness, in one run against the
// embedded cluster with locus's own loop (EngineLoop) serving:
//   - warm-up: `warm` events preloaded and applied before measuring;
//   - ingest alongside: events produced at --ingest-rate per second for the whole run;
//   - requests: produced open loop at a fixed --rate per second (each at its scheduled time,
//     whether or not earlier answers came back); a consumer of the responses topic matches
//     request_id and takes latency = response received - request produced (both here); the
//     engine's own time to answer (took_ms in each response) is summarised beside it, so the
//     report separates the cost of answering from waiting (queues, Kafka);
//   - freshness: --probes times (spread over the run), a visit of a new user to a known place
//     is produced, and in-process recommend calls (every 0.5 ms) ask for that user and the
//     place's activity until an answer lists the place with the user's own visit as a reason.
// Requests with no answer before the end (plus a 5 s grace) are reported as missing.
// Before the clock starts, one request per partition makes a full round trip, so the tool's
// own clients are connected (a cold producer and consumer added ~1-2 s to the first requests,
// which is start-up of this tool, not of the engine; a real app keeps its clients).
#include "bench/load/kafka_common.h"
#include "bench/load/tools.h"
#include "consumers/engine_loop.h"
#include "src/codec/messages.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

namespace locus::bench {
namespace {

// Sleeps until `t` (coarse sleep, then a short spin).
void SleepUntil(Clock::time_point t) {
  const auto now = Clock::now();
  if (t - now > std::chrono::microseconds(200)) {
    std::this_thread::sleep_for(t - now - std::chrono::microseconds(100));
  }
  while (Clock::now() < t) {
  }
}

}  // namespace

int RoundTripTool(const Args& args) {
  const double rate = args.Double("rate", 1000), ingest_rate = args.Double("ingest-rate", 1000);
  const double seconds = args.Double("seconds", 20);
  const int64_t probes = args.Int("probes", 100), warm = args.Int("warm", 20000);
  const int64_t places = args.Int("places", 20000), users = args.Int("users", 20000);
  const int partitions = static_cast<int>(args.Int("partitions", 16));
  const int64_t total_events =
      warm + static_cast<int64_t>(ingest_rate * (seconds + 10)) + 1;  // the stream's span
  auto w =
      MakeWorkload(args, places, users, total_events, static_cast<int>(args.Int("activities", 0)));
  BenchCluster c = StartCluster(partitions);
  Preload(c, *w, warm);

  TempDir dir;
  auto engine = OpenEngine(dir.path + "/state");
  kafka::LoopOptions lo;
  lo.kafka = c.kafka;
  lo.client = c.client;
  // --fetch-wait-ms: the engine consumer's fetch.wait.max.ms (unset: the loop's own setting).
  if (args.Int("fetch-wait-ms", -1) >= 0) {
    lo.client["fetch.wait.max.ms"] = std::to_string(args.Int("fetch-wait-ms", -1));
  }
  // --workers: threads answering requests (unset: the loop's default).
  if (args.Int("workers", 0) > 0) lo.request_workers = static_cast<int>(args.Int("workers", 0));
  auto loop = kafka::EngineLoop::Create(*engine, lo);
  if (!loop.ok()) Check(loop.status(), "creating the engine loop");
  std::atomic<bool> stop{false};
  Status loop_status;
  std::thread serve([&] { loop_status = (*loop)->Run(stop); });
  const auto warm_start = Clock::now();
  while (engine->counters().events_applied.load() < warm && Since(warm_start) < 600) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double warm_s = Since(warm_start);

  // Responses: a bare consumer of every partition, from the beginning (the topic is empty).
  kafka::Properties cp = c.client;
  cp["group.id"] = "locus-bench-responses";
  cp["enable.auto.commit"] = "false";
  cp["fetch.wait.max.ms"] = "1";
  cp["fetch.error.backoff.ms"] = "1";
  auto rc = kafka::NewClient(kafka::Role::kConsumer, cp);
  if (!rc.ok()) Check(rc.status(), "creating the responses consumer");
  rd_kafka_poll_set_consumer(rc->get());
  {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; ++i) {
      rd_kafka_topic_partition_list_add(list, c.kafka.responses_topic.c_str(), i)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rc->get(), list);
    rd_kafka_topic_partition_list_destroy(list);
  }
  kafka::Properties pp = c.client;
  pp["linger.ms"] = "0";
  pp["partitioner"] = "murmur2_random";
  auto req_producer = kafka::Producer::Create(pp);
  auto ev_producer = kafka::Producer::Create(pp);
  if (!req_producer.ok() || !ev_producer.ok()) return 1;

  {
    // The warm-up round trips (keys "w..."; the responses thread counts only "r..." keys).
    std::set<std::string> waiting;
    for (int i = 0; i < 4 * partitions; ++i) {
      Query q;
      q.request_id = "w" + std::to_string(i);
      q.activity_text = w->activities()[0];
      waiting.insert(q.request_id);
      (void)req_producer.value()->Produce(c.kafka.requests_topic, q.request_id, EncodeRequest(q));
    }
    req_producer.value()->Poll(0);
    const auto warm_clients = Clock::now();
    while (!waiting.empty() && Since(warm_clients) < 60) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rc->get(), 10);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->key != nullptr) {
        waiting.erase(std::string(static_cast<const char*>(m->key), m->key_len));
      }
      rd_kafka_message_destroy(m);
    }
    // And the events producer: topic metadata and its broker connection.
    (void)kafka::PartitionCount(ev_producer.value()->raw(), c.kafka.events_topic);
    if (!waiting.empty())
      std::fprintf(stderr, "warning: %zu warm-up requests unanswered\n", waiting.size());
  }
  const int64_t n_requests = static_cast<int64_t>(rate * seconds);
  std::vector<Clock::time_point> sent(static_cast<size_t>(n_requests));
  std::vector<double> latency(static_cast<size_t>(n_requests), -1);
  std::vector<double> took(static_cast<size_t>(n_requests), -1);
  std::atomic<bool> sending_done{false};
  std::atomic<int64_t> errors{0};
  std::mutex sent_mu;
  std::thread responses([&] {
    const auto deadline_after = std::chrono::seconds(5);
    Clock::time_point done_at{};
    while (true) {
      if (sending_done && done_at == Clock::time_point{}) done_at = Clock::now();
      if (done_at != Clock::time_point{} && Clock::now() - done_at > deadline_after) break;
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rc->get(), 10);
      if (m == nullptr) continue;
      const auto now = Clock::now();
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->key != nullptr) {
        const std::string key(static_cast<const char*>(m->key), m->key_len);
        if (key.size() > 1 && key[0] == 'r') {
          const int64_t i = std::atoll(key.c_str() + 1);
          if (i >= 0 && i < n_requests) {
            std::lock_guard lock(sent_mu);
            latency[static_cast<size_t>(i)] = Ms(now - sent[static_cast<size_t>(i)]);
          }
          const std::string_view v(static_cast<const char*>(m->payload), m->len);
          if (v.find("\"status\":\"ok\"") == std::string_view::npos) errors++;
          const size_t t = v.find("\"took_ms\":");
          if (t != std::string_view::npos && i >= 0 && i < n_requests) {
            took[static_cast<size_t>(i)] = std::atof(std::string(v.substr(t + 10, 24)).c_str());
          }
        }
      }
      rd_kafka_message_destroy(m);
    }
  });
  std::thread ingest([&] {
    const auto start = Clock::now();
    for (int64_t i = 0; !sending_done; ++i) {
      SleepUntil(start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * i / ingest_rate)));
      const Event e = w->Next();
      (void)ev_producer.value()->Produce(c.kafka.events_topic, e.user.str(), EncodeEvent(e));
      ev_producer.value()->Poll(0);
    }
  });
  // Freshness probes.
  std::vector<double> fresh;
  int64_t fresh_timeouts = 0;
  std::thread freshness([&] {
    const auto start = Clock::now();
    for (int64_t i = 0; i < probes; ++i) {
      SleepUntil(start + std::chrono::nanoseconds(static_cast<int64_t>(
                             1e9 * seconds * i / static_cast<double>(probes))));
      const Place& p = w->places()[static_cast<size_t>(i * 7919) % w->places().size()];
      Event e;
      e.event_id = "fresh-" + std::to_string(i);
      e.type = EventType::kVisit;
      e.user = UserId("fresh" + std::to_string(i));
      e.place = p.id;
      e.activity = p.activities[0];
      e.ts = engine->WithModel([](const Model& m) { return m.newest_ts(); });
      e.position = p.position;
      Query q;
      q.request_id = "f";
      q.activity_text = p.activities[0].str();
      q.user = e.user;
      q.position = p.position;
      q.k = 100;
      const auto t0 = Clock::now();
      (void)ev_producer.value()->Produce(c.kafka.events_topic, e.user.str(), EncodeEvent(e));
      bool seen = false;
      while (!seen && Since(t0) < 5) {
        const Answer a = engine->Recommend(q);
        for (const ScoredPlace& s : a.items) {
          if (s.place == p.id && !s.reasons.empty() &&
              s.reasons[0].rfind("you have been", 0) == 0) {
            seen = true;
          }
        }
        if (!seen) std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
      if (seen)
        fresh.push_back(Ms(Clock::now() - t0));
      else
        fresh_timeouts++;
    }
  });
  const auto start = Clock::now();
  for (int64_t i = 0; i < n_requests; ++i) {
    SleepUntil(start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * i / rate)));
    const int64_t user = (i * 104729) % users;
    Query q;
    q.request_id = "r" + std::to_string(i);
    q.activity_text = w->activities()[static_cast<size_t>(w->FavouriteActivity(user, 0))];
    q.user = UserId(Workload::UserName(user));
    q.position = w->home(user);
    q.k = 10;
    {
      std::lock_guard lock(sent_mu);
      sent[static_cast<size_t>(i)] = Clock::now();
    }
    (void)req_producer.value()->Produce(c.kafka.requests_topic, q.user->str(), EncodeRequest(q));
    req_producer.value()->Poll(0);
  }
  const double send_s = Since(start);
  sending_done = true;
  freshness.join();
  ingest.join();
  responses.join();
  stop = true;
  serve.join();
  rd_kafka_consumer_close(rc->get());

  std::vector<double> got;
  for (double l : latency) {
    if (l >= 0) got.push_back(l);
  }
  const int64_t missing = n_requests - static_cast<int64_t>(got.size());
  std::vector<double> answer_ms;
  for (double t : took) {
    if (t >= 0) answer_ms.push_back(t);
  }
  const Latency l = Summarize(got), f = Summarize(fresh), a = Summarize(answer_ms);
  // Missing answers count as infinitely late: the p99 is only valid with none missing.
  const double ingest_applied = static_cast<double>(engine->counters().events_applied.load());
  std::printf("%s\n",
              JsonLine()
                  .Add("tool", std::string("roundtrip"))
                  .Raw("roundtrip", JsonLine()
                                        .Add("rate_per_s", static_cast<double>(n_requests) / send_s)
                                        .Add("p50_ms", l.p50)
                                        .Add("p99_ms", l.p99)
                                        .Add("p999_ms", l.p999)
                                        .Add("max_ms", l.max)
                                        .Add("requests", n_requests)
                                        .Add("answered", static_cast<int64_t>(got.size()))
                                        .Add("missing", missing)
                                        .Add("error_answers", errors.load())
                                        .Add("answer_p50_ms", a.p50)
                                        .Add("answer_p99_ms", a.p99)
                                        .Add("ingest_rate_per_s", ingest_rate)
                                        .Add("seconds", seconds)
                                        .str())
                  .Raw("freshness", JsonLine()
                                        .Add("p50_ms", f.p50)
                                        .Add("p99_ms", f.p99)
                                        .Add("max_ms", f.max)
                                        .Add("probes", probes)
                                        .Add("timeouts", fresh_timeouts)
                                        .str())
                  .Add("warm_events", warm)
                  .Add("warm_s", warm_s)
                  .Add("events_applied", static_cast<int64_t>(ingest_applied))
                  .Add("places", places)
                  .Add("users", users)
                  .Add("partitions", static_cast<int64_t>(partitions))
                  .Raw("machine", MachineJson())
                  .str()
                  .c_str());
  std::fprintf(stderr,
               "roundtrip: %lld requests at %.0f/s open loop with %.0f events/s alongside: p50 "
               "%.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms; %lld missing, %lld errors\n"
               "answering (took_ms in the responses): p50 %.2f ms, p99 %.2f ms\n"
               "freshness: %zu probes: p50 %.2f ms, p99 %.2f ms, max %.1f ms; %lld timed out (5 "
               "s)\n",
               static_cast<long long>(n_requests), static_cast<double>(n_requests) / send_s,
               ingest_rate, l.p50, l.p99, l.p999, l.max, static_cast<long long>(missing),
               static_cast<long long>(errors.load()), a.p50, a.p99, f.n, f.p50, f.p99, f.max,
               static_cast<long long>(fresh_timeouts));
  Check(loop_status, "engine loop");
  return 0;
}

}  // namespace locus::bench
