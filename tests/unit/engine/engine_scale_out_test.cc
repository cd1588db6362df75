// Engines of one group split the users (events partitions) and the rows summed over users
// (by-place partitions) between them; the by-place and model topics are simulated here as
// in-memory logs, so this tests the engine's side of scale-out without Kafka.
#include "src/core/fact_log.h"
#include "src/core/partitioner.h"
#include "src/engine/engine.h"
#include "tests/unit/engine/engine_test_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace locus {
namespace {

namespace fs = std::filesystem;
using test_support::EventJson;
using test_support::kEvents;
using test_support::kPlaces;
using test_support::kT0;
using test_support::PlaceJson;

constexpr int32_t kPartitions = 4;
constexpr const char* kByPlace = "locus.internal.by-place";
constexpr const char* kModel = "locus.model";

using Rows = std::map<std::pair<Space, std::string>, std::string>;

// Every stored row summed over users (what the model topic carries): its bytes, or with
// `as_dump` its line of `locus state dump` (floats to 6 digits: facts from several sources
// may reach a row in another order than the events had, which changes the rounding of
// decayed sums).
Rows StoredRows(const Engine& engine, bool as_dump = true) {
  Rows out;
  for (Space space : kAllSpaces) {
    Status s = engine.store().Scan(space, [&](std::string_view key, std::string_view value) {
      if (!Model::RowOwnerId(space, key)) return;
      out[{space, std::string(key)}] =
          as_dump ? Model::DescribeEntry(space, key, value) : std::string(value);
    });
    EXPECT_TRUE(s.ok()) << s.message();
  }
  return out;
}

// got == want, reporting the entries that differ.
void ExpectSameRows(const Rows& got, const Rows& want, const std::string& who) {
  int shown = 0;
  for (const auto& kv : got) {
    auto it = want.find(kv.first);
    if (it == want.end()) {
      if (++shown <= 8) ADD_FAILURE() << who << " has an extra " << kv.second;
    } else if (it->second != kv.second && ++shown <= 8) {
      ADD_FAILURE() << who << " has " << kv.second << "\nwhere the single instance has "
                    << it->second;
    }
  }
  for (const auto& kv : want) {
    if (!got.contains(kv.first) && ++shown <= 8) ADD_FAILURE() << who << " lacks " << kv.second;
  }
  EXPECT_EQ(shown, 0) << who;
}

struct Record {
  std::string key;
  std::string value;
};

class EngineScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    root_ = fs::temp_directory_path() /
            ("locus_scale_out_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(root_);
    fs::create_directories(root_);
    for (int i = 0; i < 14; ++i) {
      places_.push_back("p" + std::to_string(i));
      activities_.push_back(i % 3 == 0 ? "gym" : "coffee");
    }
    // Users whose events fall in every events partition; each visits a few places in turn,
    // coming back to some (repeats, co-visits and transitions all arise).
    for (int n = 0; n < 240; ++n) {
      const std::string user = "u" + std::to_string(n % 17);
      const std::string place = places_[(n * 7 + n / 17) % places_.size()];
      events_.push_back(
          {user, EventJson("e" + std::to_string(n), user, place, kT0 + n * 3'600'000LL,
                           n % 4 == 0 ? EventType::kClick : EventType::kVisit)});
    }
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<Engine> Open(const std::string& name, int32_t partitions,
                               int publish_interval_ms = 0) {
    EngineOptions o;
    o.flush_events = 1'000'000;
    o.flush_interval_ms = 1'000'000'000;
    o.model.retrain_every_days = 0;
    o.scale_out.partitions = partitions;
    o.scale_out.publish_interval_ms = publish_interval_ms;  // 0: every commit's rows at once
    auto store = StateStore::Open((root_ / name).string());
    EXPECT_TRUE(store.ok()) << store.error();
    auto engine = Engine::Open(o, std::move(store.value()));
    EXPECT_TRUE(engine.ok()) << engine.error();
    std::unique_ptr<Engine> e = std::move(engine.value());
    for (size_t i = 0; i < places_.size(); ++i) {
      const double lat = 40.70 + 0.01 * static_cast<double>(i);
      EXPECT_TRUE(e->HandlePlace(kPlaces, 0, static_cast<int64_t>(i), places_[i],
                                 PlaceJson(places_[i], lat, activities_[i]))
                      .ok);
    }
    return e;
  }

  // The single instance every split must equal.
  Rows SingleRows() {
    std::unique_ptr<Engine> single = Open("single", 0);
    std::vector<int64_t> next(kPartitions, 0);
    for (const auto& [user, json] : events_) {
      const int32_t p = KafkaPartition(user, kPartitions);
      EXPECT_TRUE(single->HandleEvent(kEvents, p, next[p]++, json).ok);
    }
    EXPECT_TRUE(single->Flush().ok());
    want_bytes_ = StoredRows(*single, false);
    return StoredRows(*single);
  }

  // One instance of the group and where it is in each log.
  struct Instance {
    std::unique_ptr<Engine> engine;
    std::set<int32_t> users;  // events partitions
    std::vector<size_t> by_place_read = std::vector<size_t>(kPartitions, 0);
    std::vector<size_t> model_read = std::vector<size_t>(kPartitions, 0);
  };

  // Instances a (users and rows of partitions 0 and 1) and b (2 and 3).
  std::vector<Instance> TwoInstances() {
    std::vector<Instance> group(2);
    group[0].engine = Open("a", kPartitions);
    group[0].users = {0, 1};
    group[1].engine = Open("b", kPartitions);
    group[1].users = {2, 3};
    Own(group[0], {0, 1});
    Own(group[1], {2, 3});
    return group;
  }

  // Owns by-place partitions `rows` from the offsets its store holds, after reading the
  // model topic to its end (a rebalance's order).
  void Own(Instance& in, std::set<int32_t> rows) {
    ReadModel(in);
    ASSERT_TRUE(in.engine->Flush().ok());
    for (int32_t q : rows) {
      in.by_place_read[q] = static_cast<size_t>(in.engine->StoredOffset(kByPlace, q).value_or(0));
    }
    in.engine->OwnByPlace(std::move(rows));
  }

  void Produce(Instance& in) {
    for (Engine::OutRecord& r : in.engine->TakeFacts()) {
      by_place_[r.partition].push_back({std::move(r.key), std::move(r.value)});
    }
  }

  void Aggregate(Instance& in) {
    for (int32_t q : in.engine->owned_by_place()) {
      std::vector<Engine::FactMessage> batch;
      for (size_t& o = in.by_place_read[q]; o < by_place_[q].size(); ++o) {
        batch.push_back({q, static_cast<int64_t>(o), by_place_[q][o].value});
      }
      for (const Outcome& out : in.engine->HandleFacts(batch)) EXPECT_TRUE(out.ok) << out.reason;
    }
  }

  void FlushAndPublish(Instance& in) {
    ASSERT_TRUE(in.engine->Flush().ok());
    for (Engine::OutRecord& r : in.engine->TakeModelRecords()) {
      model_[r.partition].push_back({std::move(r.key), std::move(r.value)});
    }
  }

  void ReadModel(Instance& in) {
    for (int32_t q = 0; q < kPartitions; ++q) {
      for (size_t& o = in.model_read[q]; o < model_[q].size(); ++o) {
        const Outcome out = in.engine->HandleModelRecord(q, static_cast<int64_t>(o),
                                                         model_[q][o].key, model_[q][o].value);
        EXPECT_TRUE(out.ok) << out.reason;
      }
    }
  }

  // Events [from, to) to their users' instances, then a round of aggregation, commits and
  // model reads.
  void Run(std::vector<Instance>& group, size_t from, size_t to) {
    for (size_t n = from; n < to; ++n) {
      const auto& [user, json] = events_[n];
      const int32_t p = KafkaPartition(user, kPartitions);
      for (Instance& in : group) {
        if (!in.users.contains(p)) continue;
        ASSERT_TRUE(in.engine->HandleEvent(kEvents, p, events_offset_[p]++, json).ok);
        Produce(in);
      }
      if ((n + 1) % 25 == 0 || n + 1 == to) {
        for (Instance& in : group) Aggregate(in);
        for (Instance& in : group) FlushAndPublish(in);
        for (Instance& in : group) ReadModel(in);
      }
    }
    for (Instance& in : group) ASSERT_TRUE(in.engine->Flush().ok());
  }

  fs::path root_;
  Rows want_bytes_;
  std::vector<std::string> places_, activities_;
  std::vector<std::pair<std::string, std::string>> events_;  // user, JSON
  std::vector<int64_t> events_offset_ = std::vector<int64_t>(kPartitions, 0);
  std::vector<std::vector<Record>> by_place_ = std::vector<std::vector<Record>>(kPartitions);
  std::vector<std::vector<Record>> model_ = std::vector<std::vector<Record>>(kPartitions);
};

TEST_F(EngineScaleOutTest, TwoInstancesSplittingUsersAndRowsEachHoldTheSingleInstancesRows) {
  const Rows want = SingleRows();
  ASSERT_GT(want.size(), 40u);
  std::vector<Instance> group = TwoInstances();
  Run(group, 0, events_.size());
  ExpectSameRows(StoredRows(*group[0].engine), want, "instance 0");
  ExpectSameRows(StoredRows(*group[1].engine), want, "instance 1");
  // Facts reached every row in the events' order here, so even the bytes are the same.
  EXPECT_TRUE(StoredRows(*group[0].engine, false) == want_bytes_);
  EXPECT_TRUE(StoredRows(*group[1].engine, false) == want_bytes_);
  // Each instance published only the rows of its own partitions.
  for (int32_t q = 0; q < kPartitions; ++q) {
    for (const Record& r : model_[q]) {
      if (r.key == kModelCommitKey) continue;
      auto k = DecodeModelKey(r.key);
      ASSERT_TRUE(k.has_value());
      EXPECT_EQ(RowPartition(k->first, k->second, kPartitions), q);
    }
  }
}

TEST_F(EngineScaleOutTest, FactsSentAgainAfterACrashCountOnce) {
  const Rows want = SingleRows();
  std::vector<Instance> group = TwoInstances();
  const size_t half = events_.size() / 2;
  Run(group, 0, half);
  // Instance a applies (and sends the facts of) a few more events, then dies before its
  // commit; restarted from its store, it reads its events partitions from the stored offsets
  // again and sends those facts a second time.
  const std::vector<int64_t> committed = events_offset_;
  for (size_t n = half; n < half + 30; ++n) {
    const int32_t p = KafkaPartition(events_[n].first, kPartitions);
    if (!group[0].users.contains(p)) continue;
    ASSERT_TRUE(
        group[0].engine->HandleEvent(kEvents, p, events_offset_[p]++, events_[n].second).ok);
    Produce(group[0]);
  }
  group[0].engine.reset();
  group[0].engine = Open("a", kPartitions);
  for (int32_t p : group[0].users) {
    events_offset_[p] = group[0].engine->StoredOffset(kEvents, p).value_or(0);
    EXPECT_EQ(events_offset_[p], committed[p]);
  }
  group[0].model_read.assign(kPartitions, 0);
  Own(group[0], {0, 1});
  size_t resent_from = by_place_[0].size() + by_place_[1].size();
  Run(group, half, events_.size());
  EXPECT_GT(by_place_[0].size() + by_place_[1].size(), resent_from);
  ExpectSameRows(StoredRows(*group[0].engine), want, "instance 0");
  ExpectSameRows(StoredRows(*group[1].engine), want, "instance 1");
}

TEST_F(EngineScaleOutTest, APartitionsRowsMoveToItsNextOwnerThroughTheModelTopic) {
  const Rows want = SingleRows();
  std::vector<Instance> group = TwoInstances();
  const size_t half = events_.size() / 2;
  Run(group, 0, half);
  // A rebalance moves by-place partition 2 from b to a: b commits and publishes what it
  // holds and lets go; a reads the model topic to its end and resumes 2 from there.
  Aggregate(group[1]);
  FlushAndPublish(group[1]);
  group[1].engine->OwnByPlace({3});
  Own(group[0], {0, 1, 2});
  EXPECT_EQ(static_cast<size_t>(group[0].engine->StoredOffset(kByPlace, 2).value_or(-1)),
            group[1].by_place_read[2]);
  Run(group, half, events_.size());
  ExpectSameRows(StoredRows(*group[0].engine), want, "instance 0");
  ExpectSameRows(StoredRows(*group[1].engine), want, "instance 1");
}

// Per-user state as stored (user history and profiles), by key.
Rows StoredUsers(const Engine& engine) {
  Rows out;
  for (Space space : {Space::kUserHistory, Space::kProfiles}) {
    Status s = engine.store().Scan(space, [&](std::string_view key, std::string_view value) {
      out[{space, std::string(key)}] = Model::DescribeEntry(space, key, value);
    });
    EXPECT_TRUE(s.ok()) << s.message();
  }
  return out;
}

TEST_F(EngineScaleOutTest, AnEventsPartitionMovesByReplayingItsEventsWhoseFactsCountOnce) {
  const Rows want = SingleRows();
  std::vector<Instance> group = TwoInstances();
  const size_t half = events_.size() / 2;
  Run(group, 0, half);
  const Rows users_before = StoredUsers(*group[0].engine);
  // a gives events partition 1 up: its users leave a's memory and store with the offset.
  ASSERT_GT(group[0].engine->DropUserPartitions({1}), 0u);
  ASSERT_TRUE(group[0].engine->Flush().ok());
  group[0].users = {0};
  EXPECT_FALSE(group[0].engine->StoredOffset(kEvents, 1).has_value());
  const Rows users_after = StoredUsers(*group[0].engine);
  EXPECT_LT(users_after.size(), users_before.size());
  for (const auto& [key, line] : users_after) EXPECT_TRUE(users_before.contains(key)) << line;
  // b takes it and rebuilds its users from the partition's first event: every fact it sends
  // again is one the by-place owners hold already.
  for (size_t n = 0, offset = 0; n < half; ++n) {
    if (KafkaPartition(events_[n].first, kPartitions) != 1) continue;
    ASSERT_TRUE(
        group[1]
            .engine->HandleEvent(kEvents, 1, static_cast<int64_t>(offset++), events_[n].second)
            .ok);
    Produce(group[1]);
  }
  group[1].users = {1, 2, 3};
  Run(group, half, events_.size());
  ExpectSameRows(StoredRows(*group[0].engine), want, "instance 0");
  ExpectSameRows(StoredRows(*group[1].engine), want, "instance 1");
  // Between them they hold every user once, as the single instance does.
  std::unique_ptr<Engine> single = Open("single", 0);
  Rows merged = StoredUsers(*group[0].engine);
  for (const auto& [key, line] : StoredUsers(*group[1].engine)) {
    EXPECT_TRUE(merged.emplace(key, line).second) << "held twice: " << line;
  }
  EXPECT_TRUE(merged == StoredUsers(*single));
}

TEST_F(EngineScaleOutTest, RowsOfSeveralCommitsArePublishedOnceWithTheirNewestValue) {
  std::unique_ptr<Engine> e = Open("a", kPartitions, /*publish_interval_ms=*/3'600'000);
  e->OwnByPlace({0, 1, 2, 3});
  ASSERT_TRUE(e->Flush().ok());
  e->TakeModelRecords(/*now=*/true);  // the places' rows
  // Two commits, each with a visit to the same place by a new user.
  for (int n = 0; n < 2; ++n) {
    const std::string user = "v" + std::to_string(n);
    const int32_t p = KafkaPartition(user, kPartitions);
    ASSERT_TRUE(e->HandleEvent(kEvents, p, n,
                               EventJson("x" + std::to_string(n), user, "p1", kT0 + n * 1000))
                    .ok);
    std::vector<Engine::FactMessage> facts;
    for (Engine::OutRecord& r : e->TakeFacts()) {
      by_place_[r.partition].push_back({r.key, r.value});
      facts.push_back({r.partition, static_cast<int64_t>(by_place_[r.partition].size() - 1),
                       by_place_[r.partition].back().value});
    }
    for (const Outcome& o : e->HandleFacts(facts)) EXPECT_TRUE(o.ok) << o.reason;
    ASSERT_TRUE(e->Flush().ok());
    EXPECT_TRUE(e->TakeModelRecords().empty()) << "not due within the interval";
  }
  const std::vector<Engine::OutRecord> out = e->TakeModelRecords(/*now=*/true);
  std::map<std::string, int> seen;
  std::string place_profile;
  for (const Engine::OutRecord& r : out) {
    ++seen[std::to_string(r.partition) + "/" + r.key];
    auto k = DecodeModelKey(r.key);
    if (k && k->first == Space::kPlaceProfiles && k->second == "p1") place_profile = r.value;
  }
  for (const auto& [key, n] : seen) EXPECT_EQ(n, 1) << key;
  // The place profile published is the newest: two distinct users.
  ASSERT_FALSE(place_profile.empty());
  EXPECT_NE(Model::DescribeEntry(Space::kPlaceProfiles, "p1", place_profile).find("users=2"),
            std::string::npos)
      << Model::DescribeEntry(Space::kPlaceProfiles, "p1", place_profile);
  // Each partition's marker comes after its rows.
  std::map<int32_t, bool> marked;
  for (const Engine::OutRecord& r : out) {
    EXPECT_FALSE(marked[r.partition]) << "a row after its partition's marker";
    if (r.key == kModelCommitKey) marked[r.partition] = true;
  }
  EXPECT_TRUE(e->TakeModelRecords(true).empty());
}

TEST_F(EngineScaleOutTest, AReaderThatMissedTheModelTopicsStartGetsEveryRowFromARepublication) {
  const Rows want = SingleRows();
  std::vector<Instance> group = TwoInstances();
  Run(group, 0, events_.size());
  // The log so far is gone (as the embedded cluster drops it past ~5 MiB); both republish.
  const std::vector<std::vector<Record>> before = model_;
  for (auto& log : model_) log.clear();
  for (Instance& in : group) {
    Result<size_t> staged = in.engine->RepublishModel();
    ASSERT_TRUE(staged.ok()) << staged.status().message();
    EXPECT_GT(*staged, 0u);
    for (Engine::OutRecord& r : in.engine->TakeModelRecords(/*now=*/true)) {
      model_[r.partition].push_back({std::move(r.key), std::move(r.value)});
    }
  }
  Instance late;
  late.engine = Open("late", kPartitions);
  Own(late, {});
  ASSERT_TRUE(late.engine->Flush().ok());
  ExpectSameRows(StoredRows(*late.engine), want, "the late reader");
  // It would resume each by-place partition where its owner's rows end.
  for (int32_t q = 0; q < kPartitions; ++q) {
    const Instance& owner = group[q < 2 ? 0 : 1];
    EXPECT_EQ(late.engine->StoredOffset(kByPlace, q), owner.engine->StoredOffset(kByPlace, q));
  }
}

TEST_F(EngineScaleOutTest, BadRecordsAreRefusedWithAReasonAndChangeNothing) {
  std::unique_ptr<Engine> e = Open("a", kPartitions);
  e->OwnByPlace({0});
  ASSERT_TRUE(e->Flush().ok());
  const Rows before = StoredRows(*e);
  std::vector<Outcome> out = e->HandleFacts({{0, 0, "not a fact"}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].ok);
  EXPECT_EQ(out[0].code, "schema");
  EXPECT_FALSE(e->HandleModelRecord(1, 0, "", "x").ok);
  EXPECT_FALSE(e->HandleModelRecord(1, 1, std::string(kModelCommitKey), "garbage").ok);
  ASSERT_TRUE(e->Flush().ok());
  EXPECT_EQ(StoredRows(*e), before);
}

}  // namespace
}  // namespace locus
