// The engine's Kafka loop in process (EngineLoop on the embedded cluster): requests are
// answered by the request workers, apart from ingest, exactly once per request across a
// graceful stop and restart. Nothing is timed; waits have generous limits that only stop a
// hang.
#include "consumers/engine_loop.h"

#include "consumers/embedded_cluster.h"
#include "consumers/kafka_client.h"
#include "src/engine/engine.h"
#include "state/state_store.h"
#include "tests/integration/kafka/plain_kafka.h"
#include "tests/integration/kafka/process.h"
#include "tests/integration/kafka/small_city.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace locus::itest {
namespace {

constexpr int kPartitions = 4;
const KafkaConfig kTopics;  // the default topic names

std::string Request(const std::string& id) {
  return R"({"request_id":")" + id + R"(","activity":"Coffee Shop","k":2})";
}

// Waits until `done` holds (false after a minute).
bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = Clock::now() + seconds(60);
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

// An embedded cluster with the small city published, and an engine on a fresh store.
class EngineLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = kafka::EmbeddedCluster::Start(
        1,
        {kTopics.places_topic, kTopics.events_topic, kTopics.requests_topic,
         kTopics.responses_topic, kTopics.deadletter_topic},
        kPartitions);
    ASSERT_TRUE(c.ok()) << c.error();
    cluster_ = std::move(*c);
    PlainProducer producer(cluster_->bootstrap());
    for (const Record& r : SmallCity()) {
      ASSERT_TRUE(producer.Send(r.topic, r.key, r.value).ok) << r.value;
    }
    auto store = StateStore::Open(dir_ / "state");
    ASSERT_TRUE(store.ok()) << store.error();
    auto engine = Engine::Open(EngineOptions{}, std::move(*store));
    ASSERT_TRUE(engine.ok()) << engine.error();
    engine_ = std::move(*engine);
  }

  // Starts a loop (on its own thread) with `before_event` as its ingest hook.
  void StartLoop(std::function<void()> before_event = {}, int drain_ms = 60000) {
    kafka::LoopOptions o;
    o.kafka = kTopics;
    o.client = {{"bootstrap.servers", cluster_->bootstrap()}, {"log_level", "3"}};
    o.request_workers = 2;
    o.drain_ms = drain_ms;
    o.before_event = std::move(before_event);
    auto loop = kafka::EngineLoop::Create(*engine_, o);
    ASSERT_TRUE(loop.ok()) << loop.error();
    loop_ = std::move(*loop);
    stop_ = false;
    run_ = std::thread([this] { status_ = loop_->Run(stop_); });
  }

  // Stops the loop the graceful way and returns Run's status.
  Status StopLoop() {
    stop_ = true;
    if (run_.joinable()) run_.join();
    return status_;
  }

  void TearDown() override {
    stop_ = true;
    if (run_.joinable()) run_.join();
  }

  // Every response on the responses topic, read to the topic's current end.
  std::vector<Answer> AllResponses() {
    auto rk =
        kafka::NewClient(kafka::Role::kProducer, {{"bootstrap.servers", cluster_->bootstrap()}});
    EXPECT_TRUE(rk.ok());
    int64_t total = 0;
    for (int32_t p = 0; p < kPartitions; ++p) {
      auto w = kafka::QueryWatermarks(rk->get(), kTopics.responses_topic, p);
      EXPECT_TRUE(w.ok()) << w.error();
      if (w.ok()) total += w->high - w->low;
    }
    std::vector<Answer> out;
    PlainReader reader(cluster_->bootstrap(), kTopics.responses_topic);
    const auto deadline = Clock::now() + seconds(60);
    while (static_cast<int64_t>(out.size()) < total && Clock::now() < deadline) {
      std::optional<KafkaMessage> m = reader.Next(200);
      if (!m) continue;
      Decoded<Answer> a = DecodeResponse(m->value);
      EXPECT_TRUE(a.ok()) << m->value;
      EXPECT_EQ(m->key.value_or(""), a.ok() ? a.value->request_id : "") << "keyed by request_id";
      if (a.ok()) out.push_back(*a.value);
    }
    EXPECT_EQ(static_cast<int64_t>(out.size()), total) << "could not read the whole topic";
    return out;
  }

  TempDir dir_;
  std::unique_ptr<kafka::EmbeddedCluster> cluster_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<kafka::EngineLoop> loop_;
  std::atomic<bool> stop_{false};
  std::thread run_;
  Status status_;
};

TEST_F(EngineLoopTest, RequestsAreAnsweredWhileIngestIsStalled) {
  // The hook stalls the loop thread in front of every event once armed, until released.
  std::mutex mu;
  std::condition_variable cv;
  bool armed = false, stalled = false, released = false;
  StartLoop([&] {
    std::unique_lock lock(mu);
    if (!armed) return;
    stalled = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
  });
  ASSERT_TRUE(WaitFor([&] { return engine_->counters().events_applied.load() == 8; }))
      << "the small city's events were not applied";
  {
    std::lock_guard lock(mu);
    armed = true;
  }
  PlainProducer producer(cluster_->bootstrap());
  ASSERT_TRUE(producer
                  .Send(kTopics.events_topic, "user-1",
                        Visit(100, "user-1", "cafe-quiet", "2012-04-03T10:00:00Z"))
                  .ok);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, seconds(60), [&] { return stalled; })) << "ingest never stalled";
  }

  // Requests of many users (so of every partition) while the loop thread is stuck.
  constexpr int kRequests = 40;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(producer
                    .Send(kTopics.requests_topic, "user-" + std::to_string(i),
                          Request("stalled-" + std::to_string(i)))
                    .ok);
  }
  PlainReader responses(cluster_->bootstrap(), kTopics.responses_topic);
  std::map<std::string, int> answered;
  const auto deadline = Clock::now() + seconds(60);
  while (static_cast<int>(answered.size()) < kRequests && Clock::now() < deadline) {
    std::optional<KafkaMessage> m = responses.Next(200);
    if (!m) continue;
    Decoded<Answer> a = DecodeResponse(m->value);
    ASSERT_TRUE(a.ok()) << m->value;
    EXPECT_TRUE(a.value->ok) << m->value;
    EXPECT_EQ(a.value->items.size(), 2u) << m->value;
    answered[a.value->request_id]++;
  }
  EXPECT_EQ(static_cast<int>(answered.size()), kRequests) << "requests waited behind ingest";
  for (const auto& [id, n] : answered) EXPECT_EQ(n, 1) << id;
  {
    std::lock_guard lock(mu);
    EXPECT_FALSE(released);
  }
  EXPECT_EQ(engine_->counters().events_applied.load(), 8) << "ingest was not stalled after all";

  {
    std::lock_guard lock(mu);
    released = true;
    armed = false;
  }
  cv.notify_all();
  ASSERT_TRUE(WaitFor([&] { return engine_->counters().events_applied.load() == 9; }));
  EXPECT_TRUE(StopLoop().ok()) << status_.message();
  EXPECT_EQ(loop_->counters().responses.load(), kRequests);
}

TEST_F(EngineLoopTest, AGracefulStopCommitsExactlyTheAnsweredRequestsAndARestartAnswersTheRest) {
  // No drain: the stop leaves fetched requests unanswered, which must stay uncommitted.
  StartLoop({}, /*drain_ms=*/0);
  ASSERT_TRUE(WaitFor([&] { return engine_->counters().events_applied.load() == 8; }));

  // Many requests at once, and a stop as soon as the first is answered: the stop meets
  // requests fetched, being answered and not yet read (how many of each varies from run to
  // run; the assertions hold for any mix).
  constexpr int kRequests = 20000;
  auto producer = kafka::Producer::Create({{"bootstrap.servers", cluster_->bootstrap()},
                                           {"partitioner", "murmur2_random"},
                                           {"linger.ms", "5"}});
  ASSERT_TRUE(producer.ok()) << producer.error();
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE((*producer)
                    ->Produce(kTopics.requests_topic, "user-" + std::to_string(i),
                              Request("q-" + std::to_string(i)))
                    .ok());
  }
  ASSERT_TRUE(WaitFor([&] { return loop_->counters().responses.load() >= 1; }));
  ASSERT_TRUE(StopLoop().ok()) << status_.message();
  ASSERT_TRUE((*producer)->Flush(30000).ok());

  // Every request answered before the stop, and only those, is committed: the next reader
  // of each partition starts right after the last answered one.
  int64_t committed = 0;
  for (int32_t p = 0; p < kPartitions; ++p) {
    committed += engine_->StoredOffset(kTopics.requests_topic, p).value_or(0);
  }
  const int64_t answered_first = loop_->counters().responses.load();
  RecordProperty("answered_before_the_stop", static_cast<int>(answered_first));
  EXPECT_EQ(committed, answered_first);
  EXPECT_EQ(static_cast<int64_t>(AllResponses().size()), answered_first);

  // A new loop on the same store answers the rest, and none of the first ones again.
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return loop_->counters().responses.load() >= kRequests - committed; }));
  ASSERT_TRUE(StopLoop().ok()) << status_.message();
  EXPECT_EQ(loop_->counters().responses.load(), kRequests - committed);
  std::map<std::string, int> seen;
  for (const Answer& a : AllResponses()) seen[a.request_id]++;
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRequests));
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id << " was answered " << n << " times";
  committed = 0;
  for (int32_t p = 0; p < kPartitions; ++p) {
    committed += engine_->StoredOffset(kTopics.requests_topic, p).value_or(0);
  }
  EXPECT_EQ(committed, kRequests);
}

TEST_F(EngineLoopTest, AnotherInstanceOfTheGroupResumesRequestsWhereTheGroupCommittedThem) {
  StartLoop({}, /*drain_ms=*/0);
  ASSERT_TRUE(WaitFor([&] { return engine_->counters().events_applied.load() == 8; }));
  constexpr int kRequests = 5000;
  auto producer = kafka::Producer::Create({{"bootstrap.servers", cluster_->bootstrap()},
                                           {"partitioner", "murmur2_random"},
                                           {"linger.ms", "5"}});
  ASSERT_TRUE(producer.ok()) << producer.error();
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE((*producer)
                    ->Produce(kTopics.requests_topic, "user-" + std::to_string(i),
                              Request("q-" + std::to_string(i)))
                    .ok());
  }
  ASSERT_TRUE(WaitFor([&] { return loop_->counters().responses.load() >= 1; }));
  ASSERT_TRUE(StopLoop().ok()) << status_.message();
  ASSERT_TRUE((*producer)->Flush(30000).ok());
  const int64_t answered_first = loop_->counters().responses.load();
  RecordProperty("answered_by_the_first", static_cast<int>(answered_first));

  // The partitions go to an instance with a store of its own (another machine, or this one
  // after its disk was lost): it holds no requests offsets, and must not answer from the
  // start of the topic.
  loop_.reset();
  auto store = StateStore::Open(dir_ / "other-state");
  ASSERT_TRUE(store.ok()) << store.error();
  auto engine = Engine::Open(EngineOptions{}, std::move(*store));
  ASSERT_TRUE(engine.ok()) << engine.error();
  engine_ = std::move(*engine);
  for (int32_t p = 0; p < kPartitions; ++p) {
    ASSERT_FALSE(engine_->StoredOffset(kTopics.requests_topic, p).has_value());
  }
  StartLoop();
  // It answers the rest (had it started from the beginning, it would reach this count with
  // requests answered twice and others not yet).
  ASSERT_TRUE(
      WaitFor([&] { return loop_->counters().responses.load() >= kRequests - answered_first; }));
  ASSERT_TRUE(StopLoop().ok()) << status_.message();
  EXPECT_EQ(loop_->counters().responses.load(), kRequests - answered_first);
  std::map<std::string, int> seen;
  for (const Answer& a : AllResponses()) seen[a.request_id]++;
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRequests));
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id << " was answered " << n << " times";
}

}  // namespace
}  // namespace locus::itest
