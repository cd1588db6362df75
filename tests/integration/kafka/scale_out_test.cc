// Scale-out on Kafka (issue 8; README "Scale-out on Kafka"): three `locus serve` processes with
// kafka.scale_out in one group on the embedded cluster (12 partitions) split the users and the
// rows summed over users between them. Compared with one instance that ingested the same data
// on a cluster of its own:
// - every row summed over users (`locus state dump` without per-user lines) is the same on
//   each of the three, and their per-user lines together are the single instance's, each
//   user held once;
// - every request is answered exactly once, with the same status and resolved activity.
// The ranked lists may differ: the learned parameters (blend weights, BPR and ALS factors) are
// trained by each instance on its own users' events (README, allowed differences). The test
// prints how much the top 10 overlap.
// One of the three sends its facts and model rows in transactions (kafka.exactly_once).
// A second test kills one of the three with SIGKILL while it ingests.
#include "src/codec/messages.h"
#include "tests/integration/kafka/locus_processes.h"
#include "tests/integration/kafka/plain_kafka.h"
#include "tests/integration/kafka/process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace locus::itest {
namespace {

constexpr int kInstances = 3;
constexpr int kRequests = 60;
const char* const kActivities[] = {"coffee", "bar", "gym", "park", "pizza", "subway"};

// The dev data when it is beside the project (CI links it), else a seeded synthetic city.
std::string CheckIns(const TempDir& dir) {
  const std::string dev = LOCUS_SOURCE_DIR "/../shared/data/foursquare_nyc_ipcm.tsv.xz";
  if (std::filesystem::exists(dev)) return dev;
  const std::string city = dir / "city.tsv";
  RunResult gen = RunToEnd({LocusBinary(), "gen-city", "--out", city, "--checkins", "20000",
                            "--places", "3000", "--users", "1000", "--seed", "8"},
                           seconds(120), dir / "gen-city.log");
  EXPECT_EQ(gen.code, 0) << ReadFileText(dir / "gen-city.log");
  return city;
}

// The user ids of a check-in file (first column), in order of first appearance.
std::vector<std::string> Users(const TempDir& dir, const std::string& file, size_t n) {
  RunResult r = RunToEnd({"/bin/sh", "-c",
                          (file.ends_with(".xz") ? "xz -dc '" : "cat '") + file +
                              "' | cut -f1 | awk '!seen[$0]++' | head -n " + std::to_string(n)},
                         seconds(60), dir / "users.log");
  EXPECT_EQ(r.code, 0);
  return Lines(r.out);
}

// The config of the group's instances; with `exactly_once` its facts and model rows go out in
// transactions (accepted, not honoured, by the embedded cluster: the test shows the path works
// and changes nothing).
std::string ScaledConfig(const TempDir& dir, bool exactly_once = false) {
  const std::string path = dir / (exactly_once ? "scaled-eos.yaml" : "scaled.yaml");
  std::ofstream(path) << "kafka:\n  scale_out: true\n  exactly_once: "
                      << (exactly_once ? "true" : "false") << "\n";
  return path;
}

void Import(const TempDir& dir, const std::string& bootstrap, const std::string& file,
            const std::string& name) {
  RunResult r = RunToEnd(
      {LocusBinary(), "import", file, "--bootstrap", bootstrap, "--max-lag", "0", "--no-progress"},
      seconds(120), dir / (name + ".log"));
  ASSERT_EQ(r.code, 0) << ReadFileText(dir / (name + ".log"));
}

// A dump's rows summed over users and its per-user lines; an instance's own bookkeeping
// (offsets, fact filters, counters of what it applied, the count of its users) is left out.
struct DumpParts {
  std::string rows;
  std::vector<std::string> users;
};
DumpParts Split(const std::string& dump) {
  DumpParts out;
  for (const std::string& line : Lines(dump)) {
    if (line.starts_with("user_history ") || line.starts_with("profiles ")) {
      out.users.push_back(line);
    } else if (!line.starts_with("events_applied") && !line.starts_with("meta offset/") &&
               !line.starts_with("meta facts/") && !line.starts_with("meta events_applied") &&
               !line.starts_with("meta newest_ts") && !line.starts_with("meta rejected/") &&
               !line.starts_with("meta users ")) {
      out.rows += line + "\n";
    }
  }
  std::sort(out.users.begin(), out.users.end());
  return out;
}

// Compares the dumps of the group's instances with the single instance's dump.
void ExpectSameState(const std::vector<std::string>& group, const std::string& single) {
  const DumpParts want = Split(single);
  ASSERT_GT(Lines(want.rows).size(), 1000u) << "the dump holds the rows, not only counters";
  std::vector<std::string> users;
  for (size_t i = 0; i < group.size(); ++i) {
    DumpParts got = Split(group[i]);
    EXPECT_TRUE(got.rows == want.rows)
        << "instance " << i << "'s rows differ from the single instance's\n"
        << FirstDifferences(want.rows, got.rows, "single", "instance " + std::to_string(i));
    users.insert(users.end(), got.users.begin(), got.users.end());
  }
  std::sort(users.begin(), users.end());
  EXPECT_EQ(std::adjacent_find(users.begin(), users.end()), users.end())
      << "a user's entry is held by two instances";
  std::string merged, single_users;
  for (const std::string& u : users) merged += u + "\n";
  for (const std::string& u : want.users) single_users += u + "\n";
  EXPECT_TRUE(merged == single_users) << FirstDifferences(single_users, merged, "single", "group");
}

// Sends the requests (keyed by user, partitioned as the engines' producers do) and collects
// the responses by request_id until each has one and no more came for a few seconds.
std::map<std::string, std::vector<Answer>> Ask(const std::string& bootstrap,
                                               const std::vector<std::string>& users,
                                               const std::string& tag) {
  PlainProducer producer(bootstrap, {{"partitioner", "murmur2_random"}});
  for (int n = 0; n < kRequests; ++n) {
    const std::string& user = users[static_cast<size_t>(n) % users.size()];
    const std::string request = R"({"request_id":")" + tag + std::to_string(n) +
                                R"(","activity":")" + kActivities[n % std::size(kActivities)] +
                                R"(","user_id":")" + user + R"(","k":10})";
    Delivery d = producer.Send("locus.requests", user, request);
    EXPECT_TRUE(d.ok) << d.error;
  }
  std::map<std::string, std::vector<Answer>> out;
  PlainReader responses(bootstrap, "locus.responses");
  auto quiet_since = Clock::now();
  const auto deadline = Clock::now() + seconds(120);
  while (Clock::now() < deadline) {
    std::optional<KafkaMessage> m = responses.Next(200);
    if (!m) {
      if (out.size() == static_cast<size_t>(kRequests) && Clock::now() - quiet_since > seconds(4))
        break;
      continue;
    }
    quiet_since = Clock::now();
    Decoded<Answer> a = DecodeResponse(m->value);
    EXPECT_TRUE(a.ok()) << m->value;
    if (a.ok() && a.value->request_id.starts_with(tag)) {
      out[a.value->request_id].push_back(std::move(*a.value));
    }
  }
  return out;
}

// Each request answered exactly once by the group, with the single instance's status and
// resolved activity; prints the overlap of the ranked lists.
void ExpectSameAnswers(const std::map<std::string, std::vector<Answer>>& group,
                       const std::map<std::string, std::vector<Answer>>& single) {
  EXPECT_EQ(group.size(), static_cast<size_t>(kRequests));
  EXPECT_EQ(single.size(), static_cast<size_t>(kRequests));
  size_t overlap = 0, listed = 0;
  for (const auto& [id, answers] : group) {
    EXPECT_EQ(answers.size(), 1u) << id << " answered " << answers.size() << " times";
    auto s = single.find(id);
    if (s == single.end() || answers.empty()) continue;
    const Answer& a = answers.front();
    const Answer& b = s->second.front();
    EXPECT_EQ(a.ok, b.ok) << id;
    EXPECT_EQ(a.activity, b.activity) << id;
    EXPECT_EQ(a.items.empty(), b.items.empty()) << id;
    std::set<std::string> theirs;
    for (const ScoredPlace& p : b.items) theirs.insert(p.place.str());
    for (const ScoredPlace& p : a.items) overlap += theirs.contains(p.place.str());
    listed += b.items.size();
  }
  std::cout << "[ answers  ] top-10 overlap with the single instance: " << overlap << " of "
            << listed << " places (learned parameters differ, see the file comment)" << std::endl;
}

std::vector<std::string> StopAndDump(const TempDir& dir, std::vector<std::unique_ptr<Child>>& group,
                                     const std::vector<int>& alive) {
  for (int i : alive) group[i]->Signal(SIGTERM);
  std::vector<std::string> dumps;
  for (int i : alive) {
    EXPECT_EQ(group[i]->Wait(seconds(60)), 0) << group[i]->Describe();
    dumps.push_back(Dump(dir, dir / ("state-" + std::to_string(i)), "dump-" + std::to_string(i)));
  }
  return dumps;
}

// The single instance: its own cluster, the same data, stops when idle.
struct Single {
  std::string bootstrap;
  std::unique_ptr<Child> broker, serve;
  Single(const TempDir& dir, const std::string& data) {
    broker = StartBroker(dir, "broker-single", bootstrap);
    EXPECT_FALSE(bootstrap.empty());
    Import(dir, bootstrap, data, "import-single");
    serve = StartServe(dir, bootstrap, dir / "state-single", "serve-single");
  }
};

TEST(ScaleOutTest, ThreeInstancesHoldTheSingleInstancesStateAndAnswerEachRequestOnce) {
  TempDir dir;
  const std::string data = CheckIns(dir);
  const std::vector<std::string> users = Users(dir, data, 30);
  ASSERT_EQ(users.size(), 30u);
  Single single(dir, data);
  std::string bootstrap;
  auto broker = StartBroker(dir, "broker", bootstrap);
  ASSERT_FALSE(bootstrap.empty());
  Import(dir, bootstrap, data, "import");
  std::vector<std::unique_ptr<Child>> group;
  // Written once: an instance may be reading it. Instance 0 sends in transactions.
  const std::string config = ScaledConfig(dir), transactional = ScaledConfig(dir, true);
  for (int i = 0; i < kInstances; ++i) {
    group.push_back(StartServe(dir, bootstrap, dir / ("state-" + std::to_string(i)),
                               "serve-" + std::to_string(i), -1,
                               {"--config", i == 0 ? transactional : config}));
    ASSERT_TRUE(group.back());
  }
  ASSERT_TRUE(GroupCaughtUp(bootstrap, "locus", "locus.events", 300000)) << group[0]->Describe();
  // An events offset is committed once its facts are sent; the facts are summed later. (The
  // embedded cluster writes no transaction markers; on a real broker a transactional
  // producer's last marker would keep this lag at 1.)
  ASSERT_TRUE(GroupCaughtUp(bootstrap, "locus", "locus.internal.by-place", 300000))
      << group[0]->Describe();
  ASSERT_TRUE(GroupCaughtUp(single.bootstrap, "locus", "locus.events", 300000))
      << single.serve->Describe();
  const auto answers = Ask(bootstrap, users, "q-");
  const auto single_answers = Ask(single.bootstrap, users, "q-");
  ExpectSameAnswers(answers, single_answers);

  std::vector<std::unique_ptr<Child>> one;
  one.push_back(std::move(single.serve));
  single.serve.reset();
  one[0]->Signal(SIGTERM);
  ASSERT_EQ(one[0]->Wait(seconds(60)), 0) << one[0]->Describe();
  const std::vector<std::string> dumps = StopAndDump(dir, group, {0, 1, 2});
  ExpectSameState(dumps, Dump(dir, dir / "state-single", "dump-single"));
}

// The partitions the instance logged as assigned last after log offset `from`; -1 if none.
int AssignedSince(const Child& serve, size_t from) {
  const std::string log = serve.Stderr();
  const std::regex line(R"(assigned (\d+) partitions)");
  int last = -1;
  const std::string tail = from < log.size() ? log.substr(from) : "";
  for (auto it = std::sregex_iterator(tail.begin(), tail.end(), line); it != std::sregex_iterator();
       ++it) {
    last = std::stoi((*it)[1]);
  }
  const size_t revoked = tail.rfind("partitions revoked");
  const size_t assigned = tail.rfind("assigned ");
  if (revoked != std::string::npos && (assigned == std::string::npos || revoked > assigned)) {
    return 0;
  }
  return last;
}

TEST(ScaleOutTest, KillingOneOfThreeMidIngestLosesNothingAndCountsNothingTwice) {
  TempDir dir;
  const std::string data = CheckIns(dir);
  const std::vector<std::string> users = Users(dir, data, 30);
  Single single(dir, data);
  std::string bootstrap;
  auto broker = StartBroker(dir, "broker", bootstrap);
  ASSERT_FALSE(bootstrap.empty());
  std::vector<std::unique_ptr<Child>> group;
  const std::string config = ScaledConfig(dir);  // once: an instance may be reading it
  for (int i = 0; i < kInstances; ++i) {
    group.push_back(StartServe(dir, bootstrap, dir / ("state-" + std::to_string(i)),
                               "serve-" + std::to_string(i), -1, {"--config", config}));
    ASSERT_TRUE(group.back());
  }
  for (auto& serve : group) ASSERT_TRUE(AwaitAssignment(*serve, seconds(90))) << serve->Describe();
  // The import, paced by the group's lag, while the three ingest; one dies part way.
  SpawnOptions io;
  io.stdout_path = dir / "import.out";
  io.stderr_path = dir / "import.log";
  auto import = Child::Spawn({LocusBinary(), "import", data, "--bootstrap", bootstrap, "--max-lag",
                              "300", "--no-progress"},
                             io);
  ASSERT_TRUE(import);
  // The kill comes once a fifth of the check-ins are on the events topic (the import is paced
  // by the group's lag, so the group is working through them): a fixed 3 s wait outlasted the
  // whole import once events decoded faster.
  RunResult lines = RunToEnd(
      {"/bin/sh", "-c", (data.ends_with(".xz") ? "xz -dc '" : "cat '") + data + "' | wc -l"},
      seconds(60), dir / "lines.log");
  ASSERT_EQ(lines.code, 0);
  const int64_t checkins = std::stoll(lines.out);
  GroupProbe events(bootstrap, "locus", "locus.events");
  const auto give_up = Clock::now() + seconds(120);
  while (events.Written() < checkins / 5 && import->running() && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(import->running()) << "the import ended before the kill: raise the data size";
  const size_t log0 = group[0]->Stderr().size(), log1 = group[1]->Stderr().size();
  group[2]->Kill();
  EXPECT_EQ(group[2]->Wait(seconds(10)), -SIGKILL);
  const auto killed = Clock::now();
  // Within 30 s the two others hold every partition of the three topics between them.
  const int all = 3 * 12;
  while (Clock::now() - killed < seconds(30) &&
         AssignedSince(*group[0], log0) + AssignedSince(*group[1], log1) != all) {
    std::this_thread::sleep_for(milliseconds(200));
  }
  const double took = std::chrono::duration<double>(Clock::now() - killed).count();
  std::cout << "[ takeover ] the two survivors hold all " << all << " partitions " << took
            << " s after the SIGKILL" << std::endl;
  EXPECT_EQ(AssignedSince(*group[0], log0) + AssignedSince(*group[1], log1), all)
      << group[0]->Describe() << group[1]->Describe();
  ASSERT_EQ(import->Wait(seconds(300)), 0) << import->Describe();
  ASSERT_TRUE(GroupCaughtUp(bootstrap, "locus", "locus.events", 300000)) << group[0]->Describe();
  // An events offset is committed once its facts are sent; the facts are summed later. (The
  // embedded cluster writes no transaction markers; on a real broker a transactional
  // producer's last marker would keep this lag at 1.)
  ASSERT_TRUE(GroupCaughtUp(bootstrap, "locus", "locus.internal.by-place", 300000))
      << group[0]->Describe();
  ASSERT_TRUE(GroupCaughtUp(single.bootstrap, "locus", "locus.events", 300000))
      << single.serve->Describe();
  // The dead instance's users (every user, in fact) are answered again.
  const auto answers = Ask(bootstrap, users, "k-");
  const auto single_answers = Ask(single.bootstrap, users, "k-");
  ExpectSameAnswers(answers, single_answers);

  single.serve->Signal(SIGTERM);
  ASSERT_EQ(single.serve->Wait(seconds(60)), 0) << single.serve->Describe();
  const std::vector<std::string> dumps = StopAndDump(dir, group, {0, 1});
  ExpectSameState(dumps, Dump(dir, dir / "state-single", "dump-single"));
}

}  // namespace
}  // namespace locus::itest
