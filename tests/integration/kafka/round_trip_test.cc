// Round trips through the contracts (DESIGN.md "Contracts"): an independent app publishes
// places, events and requests to `locus broker`, `locus serve` answers on locus.responses.
// Once with a plain librdkafka client, once with kcat from Debian.
#include "tests/integration/kafka/plain_kafka.h"
#include "tests/integration/kafka/process.h"
#include "tests/integration/kafka/small_city.h"
#include "tests/integration/kafka/stack.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace locus::itest {
namespace {

// The small city, and one more visit of user-1 to the popular cafe.
std::vector<Record> PlacesAndEvents() {
  std::vector<Record> r = SmallCity();
  r.push_back(
      {"locus.events", "user-1", Visit(100, "user-1", "cafe-popular", "2012-04-03T09:10:00Z")});
  return r;
}

const Record kAnonymousRequest{"locus.requests", "r1",
                               R"({"request_id":"r1","activity":"coffee shops","k":2})"};
const Record kPositionedRequest{
    "locus.requests", "user-9",
    R"({"request_id":"r2","activity":"Coffee","user_id":"user-9","lat":40.7300,"lon":-73.9950,"k":5})"};

void ExpectCoffeeAnswer(const Answer& a) {
  SCOPED_TRACE(DescribeAnswer(a));
  EXPECT_EQ(a.request_id, "r1");
  EXPECT_TRUE(a.ok);
  EXPECT_EQ(a.activity, "Coffee Shop");
  ASSERT_EQ(a.items.size(), 2u);
  EXPECT_EQ(a.items[0].place.str(), "cafe-popular");
  EXPECT_EQ(a.items[1].place.str(), "cafe-quiet");
  EXPECT_EQ(a.items[0].name, "Popular Cafe");
  EXPECT_GT(a.items[0].score, a.items[1].score);
  for (const ScoredPlace& p : a.items) EXPECT_FALSE(p.reasons.empty()) << p.place.str();
}

void ExpectPositionedAnswer(const Answer& a) {
  SCOPED_TRACE(DescribeAnswer(a));
  EXPECT_EQ(a.request_id, "r2");
  EXPECT_TRUE(a.ok);
  EXPECT_EQ(a.activity, "Coffee Shop");
  ASSERT_EQ(a.items.size(), 2u);  // only two coffee shops exist
  for (const ScoredPlace& p : a.items) {
    ASSERT_TRUE(p.distance_km.has_value()) << p.place.str();
    EXPECT_GE(*p.distance_km, 0.0);
    EXPECT_LT(*p.distance_km, 5.0) << p.place.str();
    EXPECT_FALSE(p.reasons.empty()) << p.place.str();
  }
}

// Reads locus.responses until the response to `request_id` arrives; responses to other
// requests read meanwhile are kept in `seen` (partitions interleave in any order).
std::optional<Answer> AwaitResponse(PlainReader& responses, std::map<std::string, Answer>& seen,
                                    const std::string& request_id, seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!seen.count(request_id) && Clock::now() < deadline) {
    std::optional<KafkaMessage> m = responses.Next(200);
    if (!m) continue;
    Answer a = MustDecodeResponse(m->value);
    EXPECT_EQ(m->key.value_or(""), a.request_id) << "responses are keyed by request_id";
    EXPECT_TRUE(seen.emplace(a.request_id, a).second) << "two responses to " << a.request_id;
  }
  auto it = seen.find(request_id);
  if (it == seen.end()) return std::nullopt;
  return it->second;
}

TEST(RoundTripTest, PlainLibrdkafkaRoundTrip) {
  TempDir dir;
  Stack stack(dir);
  ASSERT_TRUE(stack.ok());
  PlainProducer producer(stack.bootstrap());
  for (const Record& r : PlacesAndEvents()) {
    Delivery d = producer.Send(r.topic, r.key, r.value);
    ASSERT_TRUE(d.ok) << r.topic << " " << r.value << ": " << d.error;
  }
  // Kafka orders nothing across partitions: ask once the engine has consumed the events.
  ASSERT_TRUE(GroupCaughtUp(stack.bootstrap(), "locus", "locus.events", 60000))
      << "the engine did not consume the events\n"
      << stack.ServeLog();

  PlainReader responses(stack.bootstrap(), "locus.responses");
  for (const Record* r : {&kAnonymousRequest, &kPositionedRequest}) {
    ASSERT_TRUE(producer.Send(r->topic, r->key, r->value).ok);
  }
  std::map<std::string, Answer> seen;
  std::optional<Answer> r1 = AwaitResponse(responses, seen, "r1", seconds(60));
  ASSERT_TRUE(r1) << "no response to r1\n" << stack.ServeLog();
  ExpectCoffeeAnswer(*r1);
  std::optional<Answer> r2 = AwaitResponse(responses, seen, "r2", seconds(60));
  ASSERT_TRUE(r2) << "no response to r2\n" << stack.ServeLog();
  ExpectPositionedAnswer(*r2);

  EXPECT_EQ(stack.StopServe(), 0) << stack.ServeLog();
}

constexpr const char* kKcat = "/usr/bin/kcat";

// Pipes key<TAB>value lines into `kcat -P`; true when kcat exits 0.
bool KcatProduce(const std::string& bootstrap, const std::string& topic,
                 const std::vector<const Record*>& records, const TempDir& dir) {
  SpawnOptions o;
  o.pipe_stdin = true;
  o.stderr_path = dir / "kcat.log";
  auto kcat = Child::Spawn({kKcat, "-P", "-b", bootstrap, "-t", topic, "-K", "\\t"}, o);
  if (!kcat) return false;
  std::string lines;
  for (const Record* r : records) {
    if (r->topic == topic) lines += r->key + "\t" + r->value + "\n";
  }
  kcat->WriteStdin(lines);
  kcat->CloseStdin();
  std::optional<int> code = kcat->Wait(seconds(60));
  EXPECT_EQ(code, 0) << kcat->Describe();
  return code == 0;
}

// Reads locus.responses with `kcat -C ... -e` until a response to `request_id` is there.
std::optional<Answer> KcatAwaitResponse(const std::string& bootstrap, const std::string& request_id,
                                        const TempDir& dir) {
  const auto deadline = Clock::now() + seconds(60);
  while (Clock::now() < deadline) {
    RunResult r = RunToEnd(
        {kKcat, "-C", "-b", bootstrap, "-t", "locus.responses", "-o", "beginning", "-e", "-q"},
        seconds(30), dir / "kcat.log");
    EXPECT_EQ(r.code, 0) << "kcat -C failed; see " << (dir / "kcat.log");
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      Answer a = MustDecodeResponse(line);
      if (a.request_id == request_id) return a;
    }
    std::this_thread::sleep_for(milliseconds(300));
  }
  return std::nullopt;
}

TEST(RoundTripTest, KcatRoundTrip) {
  if (!std::filesystem::exists(kKcat)) {
    GTEST_SKIP() << kKcat << " is not installed (Debian package kcat); scripts/setup installs it";
  }
  TempDir dir;
  Stack stack(dir);
  ASSERT_TRUE(stack.ok());
  std::vector<Record> data = PlacesAndEvents();
  std::vector<const Record*> all;
  for (const Record& r : data) all.push_back(&r);
  ASSERT_TRUE(KcatProduce(stack.bootstrap(), "locus.places", all, dir));
  ASSERT_TRUE(KcatProduce(stack.bootstrap(), "locus.events", all, dir));
  ASSERT_TRUE(GroupCaughtUp(stack.bootstrap(), "locus", "locus.events", 60000))
      << "the engine did not consume the events\n"
      << stack.ServeLog();

  ASSERT_TRUE(KcatProduce(stack.bootstrap(), "locus.requests",
                          {&kAnonymousRequest, &kPositionedRequest}, dir));
  std::optional<Answer> r1 = KcatAwaitResponse(stack.bootstrap(), "r1", dir);
  ASSERT_TRUE(r1) << "no response to r1\n" << stack.ServeLog();
  ExpectCoffeeAnswer(*r1);
  std::optional<Answer> r2 = KcatAwaitResponse(stack.bootstrap(), "r2", dir);
  ASSERT_TRUE(r2) << "no response to r2\n" << stack.ServeLog();
  ExpectPositionedAnswer(*r2);

  EXPECT_EQ(stack.StopServe(), 0) << stack.ServeLog();
}

}  // namespace
}  // namespace locus::itest
