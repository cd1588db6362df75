#include "src/engine/engine.h"

#include "src/codec/messages.h"
#include "src/core/bytes.h"
#include "tests/unit/engine/engine_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <utility>
#include <vector>

namespace locus {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using test_support::EventJson;
using test_support::kEvents;
using test_support::kPlaces;
using test_support::kT0;
using test_support::PlaceJson;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("locus_engine_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    // Only the message count makes a flush due, so no test depends on the clock.
    options_.flush_events = 3;
    options_.flush_interval_ms = 1'000'000'000;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Engine> OpenEngine() { return OpenEngineAt(dir_); }
  std::unique_ptr<Engine> OpenEngineAt(const fs::path& dir) {
    Result<std::unique_ptr<StateStore>> store = StateStore::Open(dir.string());
    EXPECT_TRUE(store.ok()) << store.error();
    if (!store.ok()) return nullptr;
    Result<std::unique_ptr<Engine>> engine = Engine::Open(options_, std::move(store.value()));
    EXPECT_TRUE(engine.ok()) << engine.error();
    return engine.ok() ? std::move(engine.value()) : nullptr;
  }

  // Three coffee shops and a gym on the places topic (offsets 0..3).
  static void AddPlaces(Engine& engine) {
    int64_t offset = 0;
    for (const auto& [id, lat, activity] :
         std::vector<std::tuple<std::string, double, std::string>>{{"c1", 40.70, "Coffee Shop"},
                                                                   {"c2", 40.71, "Coffee Shop"},
                                                                   {"c3", 40.75, "Coffee Shop"},
                                                                   {"g1", 40.72, "Gym"}}) {
      const Outcome out =
          engine.HandlePlace(kPlaces, 0, offset++, id, PlaceJson(id, lat, activity));
      ASSERT_TRUE(out.ok) << out.code << ": " << out.reason;
    }
  }

  static std::vector<std::string> Ids(const Answer& a) {
    std::vector<std::string> ids;
    for (const ScoredPlace& s : a.items) ids.push_back(s.place.str());
    return ids;
  }

  fs::path dir_;
  EngineOptions options_;
};

TEST_F(EngineTest, OpensOnAFreshStoreAndAppliesAPlaceThenAnEvent) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->WithModel([](const Model& m) { return m.place_count(); }), 0u);

  Outcome out = engine->HandlePlace(kPlaces, 0, 0, "c1", PlaceJson("c1", 40.70, "Coffee Shop"));
  ASSERT_TRUE(out.ok) << out.reason;
  out = engine->HandleEvent(kEvents, 0, 0, EventJson("e1", "u1", "c1", kT0));
  ASSERT_TRUE(out.ok) << out.reason;

  EXPECT_EQ(engine->counters().places_applied.load(), 1);
  EXPECT_EQ(engine->counters().events_applied.load(), 1);
  EXPECT_EQ(engine->counters().events_rejected.load(), 0);
  engine->WithModel([](const Model& m) {
    EXPECT_EQ(m.events_applied(), 1);
    EXPECT_EQ(m.newest_ts(), kT0);
    const Model::PlaceStats* stats = m.StatsFor(ActivityId("Coffee Shop"));
    ASSERT_NE(stats, nullptr);
    EXPECT_EQ(stats->at(PlaceId("c1")).visits, 1);
  });
  Query q;
  q.request_id = "r1";
  q.activity_text = "coffee";
  q.user = UserId("u1");
  const Answer a = engine->Recommend(q);
  EXPECT_TRUE(a.ok) << a.error;
  EXPECT_EQ(Ids(a), std::vector<std::string>{"c1"});
  EXPECT_EQ(engine->counters().requests_ok.load(), 1);
}

TEST_F(EngineTest, OpeningLetsTheCompactionsTheStoreDeferredRun) {
  auto store = StateStore::Open(dir_.string(), /*read_only=*/false, /*defer_compactions=*/true);
  ASSERT_TRUE(store.ok()) << store.error();
  ASSERT_TRUE((*store)->compactions_deferred());
  auto engine = Engine::Open(options_, std::move(*store));
  ASSERT_TRUE(engine.ok()) << engine.error();
  EXPECT_FALSE((*engine)->store().compactions_deferred());
}

TEST_F(EngineTest, ReopenedRowsAreReadBeforeEventsAndCompactionsWaitForThem) {
  std::vector<std::string> before;
  Query q;
  q.request_id = "r1";
  q.activity_text = "coffee";
  q.user = UserId("u2");
  {
    std::unique_ptr<Engine> engine = OpenEngine();
    ASSERT_NE(engine, nullptr);
    AddPlaces(*engine);
    // u1 and u2 go c1 -> c2, u1 on to c3: co-visit and transition rows.
    int64_t offset = 0;
    for (const auto& [user, place] : std::vector<std::pair<std::string, std::string>>{
             {"u1", "c1"}, {"u1", "c2"}, {"u2", "c1"}, {"u1", "c3"}, {"u2", "c2"}}) {
      const Outcome out = engine->HandleEvent(
          kEvents, 0, offset, EventJson("e" + std::to_string(offset), user, place, kT0 + offset));
      ++offset;
      ASSERT_TRUE(out.ok) << out.code << ": " << out.reason;
    }
    ASSERT_TRUE(engine->Flush().ok());
    before = Ids(engine->Recommend(q));
    ASSERT_FALSE(before.empty());
  }
  auto store = StateStore::Open(dir_.string(), /*read_only=*/false, /*defer_compactions=*/true);
  ASSERT_TRUE(store.ok()) << store.error();
  auto engine = Engine::Open(options_, std::move(*store));
  ASSERT_TRUE(engine.ok()) << engine.error();
  EXPECT_TRUE((*engine)->WithModel([](const Model& m) { return m.rows_pending(); }));
  EXPECT_TRUE((*engine)->WithModel([](const Model& m) { return m.users_pending(); }));
  EXPECT_TRUE((*engine)->store().compactions_deferred());
  EXPECT_EQ(Ids((*engine)->Recommend(q)), before) << "answers read the rows and users they need";
  (*engine)->WithModel([](const Model& m) {
    EXPECT_EQ(m.user_count(), 2);
    EXPECT_EQ(m.UserHistory(UserId("u2"), ActivityId("Coffee Shop")).size(), 2u);
    EXPECT_TRUE(m.users().empty());
  });
  (*engine)->WithModel([](const Model& m) {
    const Model::PlaceCounts* row = m.TransitionsFrom(PlaceId("c1"));
    ASSERT_NE(row, nullptr) << "read from the store";
    EXPECT_EQ(row->count(0), 2);
    EXPECT_TRUE(m.rows_pending());
  });
  ASSERT_TRUE((*engine)->CompleteLoad().ok());
  EXPECT_FALSE((*engine)->WithModel([](const Model& m) { return m.rows_pending(); }));
  EXPECT_FALSE((*engine)->WithModel([](const Model& m) { return m.users_pending(); }));
  EXPECT_EQ((*engine)->WithModel([](const Model& m) { return m.users().size(); }), 2u);
  EXPECT_FALSE((*engine)->store().compactions_deferred());
  EXPECT_EQ(Ids((*engine)->Recommend(q)), before);
  (*engine)->WithModel([](const Model& m) {
    const Model::PlaceCounts* row = m.TransitionsFrom(PlaceId("c1"));
    ASSERT_NE(row, nullptr);
    EXPECT_EQ(row->size(), 1u);
    EXPECT_EQ(row->count(0), 2) << "u1 and u2 went from c1 to c2";
  });
}

TEST_F(EngineTest, AnswersWhileCompleteLoadRunsAreTheAnswersAfterIt) {
  std::vector<std::string> users;
  for (int u = 0; u < 40; ++u) users.push_back("u" + std::to_string(u));
  {
    std::unique_ptr<Engine> engine = OpenEngine();
    ASSERT_NE(engine, nullptr);
    AddPlaces(*engine);
    const char* places[] = {"c1", "c2", "c3", "g1"};
    for (int n = 0; n < 400; ++n) {
      const Outcome out =
          engine->HandleEvent(kEvents, 0, n,
                              EventJson("e" + std::to_string(n), users[static_cast<size_t>(n % 40)],
                                        places[(n * 7 + n / 40) % 4], kT0 + n * 60'000LL));
      ASSERT_TRUE(out.ok) << out.code << ": " << out.reason;
    }
    ASSERT_TRUE(engine->Flush().ok());
  }
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(engine->WithModel([](const Model& m) { return m.users_pending(); }));
  ASSERT_TRUE(engine->WithModel([](const Model& m) { return m.rows_pending(); }));
  const auto answer = [&](const std::string& user) {
    Query q;
    q.request_id = "r";
    q.activity_text = "coffee";
    q.user = UserId(user);
    q.position = GeoPoint{40.72, -74.0};
    const Answer a = engine->Recommend(q);
    std::string out = a.ok ? "" : "error " + a.error;
    for (const ScoredPlace& item : a.items)
      out += item.place.str() + ":" + std::to_string(item.score) + " ";
    return out;
  };
  // Two readers answer every user in turn, from before CompleteLoad starts until it is done.
  std::atomic<bool> loaded{false};
  std::atomic<int> rounds_before{0};
  std::vector<std::vector<std::pair<size_t, std::string>>> seen(2);
  std::vector<std::thread> readers;
  for (size_t t = 0; t < seen.size(); ++t) {
    readers.emplace_back([&, t] {
      for (bool last = false; !last;) {
        last = loaded.load();
        for (size_t u = 0; u < users.size(); ++u) seen[t].emplace_back(u, answer(users[u]));
        if (seen[t].size() == users.size()) ++rounds_before;
      }
    });
  }
  while (rounds_before.load() < 2) std::this_thread::yield();
  const Status s = engine->CompleteLoad();
  loaded = true;
  for (std::thread& r : readers) r.join();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(engine->WithModel([](const Model& m) { return m.load_pending(); }));
  for (size_t t = 0; t < seen.size(); ++t) {
    ASSERT_GE(seen[t].size(), 2 * users.size());
    for (const auto& [u, text] : seen[t]) {
      ASSERT_EQ(text, answer(users[u])) << users[u];
    }
  }
  EXPECT_NE(answer("u3"), answer("nobody")) << "the answers are personal";
}

TEST_F(EngineTest, AnEventAfterAReopenReadsTheRowsFirst) {
  {
    std::unique_ptr<Engine> engine = OpenEngine();
    ASSERT_NE(engine, nullptr);
    AddPlaces(*engine);
    ASSERT_TRUE(engine->HandleEvent(kEvents, 0, 0, EventJson("e0", "u1", "c1", kT0)).ok);
    ASSERT_TRUE(engine->HandleEvent(kEvents, 0, 1, EventJson("e1", "u1", "c2", kT0 + 1)).ok);
    ASSERT_TRUE(engine->Flush().ok());
  }
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  EXPECT_TRUE(engine->WithModel([](const Model& m) { return m.rows_pending(); }));
  EXPECT_TRUE(engine->WithModel([](const Model& m) { return m.users_pending(); }));
  ASSERT_TRUE(engine->HandleEvent(kEvents, 0, 2, EventJson("e2", "u2", "c1", kT0 + 2)).ok);
  ASSERT_TRUE(engine->HandleEvent(kEvents, 0, 3, EventJson("e3", "u2", "c2", kT0 + 3)).ok);
  engine->WithModel([](const Model& m) {
    EXPECT_FALSE(m.rows_pending());
    EXPECT_FALSE(m.users_pending());
    EXPECT_EQ(m.user_count(), 2);
    EXPECT_EQ(m.UserHistory(UserId("u1"), ActivityId("Coffee Shop")).size(), 2u);
    const Model::PlaceCounts* row = m.TransitionsFrom(PlaceId("c1"));
    ASSERT_NE(row, nullptr);
    EXPECT_EQ(row->count(0), 2) << "the stored move and the new one";
  });
}

TEST_F(EngineTest, OpeningAStoreWithoutTheUsersCountWritesItSoTheNextOpenLeavesUsersStored) {
  {
    std::unique_ptr<Engine> engine = OpenEngine();
    ASSERT_NE(engine, nullptr);
    AddPlaces(*engine);
    ASSERT_TRUE(engine->HandleEvent(kEvents, 0, 0, EventJson("e0", "u1", "c1", kT0)).ok);
    ASSERT_TRUE(engine->Flush().ok());
  }
  {
    // As a build from before the count left it.
    auto store = StateStore::Open(dir_.string());
    ASSERT_TRUE(store.ok()) << store.error();
    ASSERT_TRUE((*store)->Get(Space::kMeta, "users").has_value());
    StateStore::Batch batch;
    batch.Delete(Space::kMeta, "users");
    ASSERT_TRUE((*store)->Commit(batch).ok());
  }
  {
    std::unique_ptr<Engine> engine = OpenEngine();
    ASSERT_NE(engine, nullptr);
    EXPECT_FALSE(engine->WithModel([](const Model& m) { return m.users_pending(); }));
    EXPECT_EQ(engine->store().Get(Space::kMeta, "users"), ByteWriter().I64(1).Take());
  }
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  EXPECT_TRUE(engine->WithModel([](const Model& m) { return m.users_pending(); }));
  EXPECT_EQ(engine->WithModel([](const Model& m) { return m.user_count(); }), 1);
}

TEST_F(EngineTest, InvalidEventIsRejectedWithACodeAndCounted) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  AddPlaces(*engine);

  Outcome out = engine->HandleEvent(kEvents, 0, 0, "{\"event_id\":");
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.code, "invalid_json");
  EXPECT_FALSE(out.reason.empty());

  out = engine->HandleEvent(kEvents, 0, 1,
                            R"({"event_id":"e","type":"visit","place_id":"c1","ts":0})");
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.code, "schema");
  EXPECT_THAT(out.reason, HasSubstr("user_id"));

  EXPECT_EQ(engine->counters().events_rejected.load(), 2);
  EXPECT_EQ(engine->counters().events_applied.load(), 0);
  engine->WithModel([](const Model& m) {
    EXPECT_EQ(m.events_applied(), 0);
    EXPECT_EQ(m.rejected().at("invalid_json"), 1);
    EXPECT_EQ(m.rejected().at("schema"), 1);
  });
  // Bad input is consumed, not retried forever, and its count is durable.
  ASSERT_TRUE(engine->Flush().ok());
  EXPECT_EQ(engine->StoredOffset(kEvents, 0), 2);
  engine.reset();
  engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  engine->WithModel([](const Model& m) {
    EXPECT_EQ(m.rejected().at("invalid_json"), 1);
    EXPECT_EQ(m.rejected().at("schema"), 1);
  });
}

TEST_F(EngineTest, EventForAnUnknownPlaceIsAppliedAfterTheCatchUpMadeItKnown) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  int calls = 0;
  const Outcome out = engine->HandleEvent(kEvents, 0, 0, EventJson("e1", "u1", "late", kT0), [&] {
    ++calls;
    const Outcome place =
        engine->HandlePlace(kPlaces, 0, 0, "late", PlaceJson("late", 40.7, "Coffee Shop"));
    EXPECT_TRUE(place.ok) << place.reason;
  });
  EXPECT_TRUE(out.ok) << out.code << ": " << out.reason;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(engine->counters().events_applied.load(), 1);
  EXPECT_EQ(engine->counters().events_rejected.load(), 0);
  engine->WithModel([](const Model& m) {
    EXPECT_EQ(m.StatsFor(ActivityId("Coffee Shop"))->at(PlaceId("late")).visits, 1);
  });
}

TEST_F(EngineTest, EventForAPlaceTheCatchUpDidNotFindIsRejectedAfterOneTry) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  AddPlaces(*engine);
  int calls = 0;
  Outcome out =
      engine->HandleEvent(kEvents, 0, 0, EventJson("e1", "u1", "nowhere", kT0), [&] { ++calls; });
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.code, "unknown_place");
  EXPECT_THAT(out.reason, HasSubstr("nowhere"));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(engine->counters().events_rejected.load(), 1);

  // A known place needs no catch-up.
  out = engine->HandleEvent(kEvents, 0, 1, EventJson("e2", "u1", "c1", kT0), [&] { ++calls; });
  EXPECT_TRUE(out.ok) << out.reason;
  EXPECT_EQ(calls, 1);
  // An invalid event never triggers one either.
  out = engine->HandleEvent(kEvents, 0, 2, "[]", [&] { ++calls; });
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(calls, 1);
}

TEST_F(EngineTest, FlushWritesOffsetsAndStateTogether) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  EXPECT_FALSE(engine->FlushDue());
  AddPlaces(*engine);  // places offsets 0..3
  EXPECT_TRUE(engine->FlushDue()) << "flush_events is 3";
  ASSERT_TRUE(engine->HandleEvent(kEvents, 1, 10, EventJson("e1", "u1", "c1", kT0)).ok);
  ASSERT_TRUE(engine->HandleEvent(kEvents, 1, 11, EventJson("e2", "u2", "c2", kT0)).ok);

  // Nothing is durable before the flush.
  EXPECT_EQ(engine->StoredOffset(kEvents, 1), std::nullopt);
  EXPECT_EQ(engine->StoredOffset(kPlaces, 0), std::nullopt);
  EXPECT_EQ(engine->store().Get(Space::kPlaces, "c1"), std::nullopt);

  auto committed = engine->Flush();
  ASSERT_TRUE(committed.ok()) << committed.error();
  const std::map<std::pair<std::string, int32_t>, int64_t> want = {{{kPlaces, 0}, 4},
                                                                   {{kEvents, 1}, 12}};
  EXPECT_EQ(*committed, want);
  EXPECT_FALSE(engine->FlushDue());
  EXPECT_EQ(engine->StoredOffset(kEvents, 1), 12);
  EXPECT_EQ(engine->StoredOffset(kPlaces, 0), 4);
  EXPECT_EQ(engine->StoredOffset(kEvents, 0), std::nullopt);
  EXPECT_TRUE(engine->store().Get(Space::kPlaces, "c1").has_value());
  EXPECT_TRUE(engine->store().Get(Space::kPlaces, "g1").has_value());
  size_t stats = 0;
  ASSERT_TRUE(engine->store()
                  .Scan(Space::kActivityPlace, [&](std::string_view, std::string_view) { ++stats; })
                  .ok());
  EXPECT_EQ(stats, 2u);
  EXPECT_EQ(engine->counters().flushes.load(), 1);

  // Nothing new: nothing committed, offsets stay.
  committed = engine->Flush();
  ASSERT_TRUE(committed.ok());
  EXPECT_TRUE(committed->empty());
  EXPECT_EQ(engine->StoredOffset(kEvents, 1), 12);

  // The next message moves only its own partition's offset.
  ASSERT_TRUE(engine->HandleEvent(kEvents, 1, 12, EventJson("e3", "u1", "c1", kT0 + 1)).ok);
  ASSERT_TRUE(engine->Flush().ok());
  EXPECT_EQ(engine->StoredOffset(kEvents, 1), 13);
  EXPECT_EQ(engine->StoredOffset(kPlaces, 0), 4);
}

// A flush written behind returns the offsets of the batch before it, committed by then; a
// flush that waits returns every batch's, the one still being written included, and the store
// then holds them all. Batches reach the store in order.
TEST_F(EngineTest, AFlushWrittenBehindReturnsTheOffsetsOfTheBatchBeforeItAndAWaitingOneAll) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  AddPlaces(*engine);  // places offsets 0..3
  ASSERT_TRUE(engine->HandleEvent(kEvents, 1, 10, EventJson("e1", "u1", "c1", kT0)).ok);
  auto first = engine->Flush(/*behind=*/true);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_TRUE(first->empty()) << "nothing was being written before it";

  ASSERT_TRUE(engine->HandleEvent(kEvents, 1, 11, EventJson("e2", "u2", "c2", kT0)).ok);
  ASSERT_TRUE(engine->HandleEvent(kEvents, 2, 5, EventJson("e3", "u3", "c1", kT0)).ok);
  auto second = engine->Flush(/*behind=*/true);
  ASSERT_TRUE(second.ok()) << second.error();
  const Engine::Offsets want_first = {{{kPlaces, 0}, 4}, {{kEvents, 1}, 11}};
  EXPECT_EQ(*second, want_first);
  // The first batch is in the store (its write was awaited); offsets never go back.
  EXPECT_GE(engine->StoredOffset(kEvents, 1).value_or(0), 11);
  EXPECT_EQ(engine->StoredOffset(kPlaces, 0), 4);
  EXPECT_TRUE(engine->store().Get(Space::kPlaces, "c1").has_value());

  ASSERT_TRUE(engine->HandleEvent(kEvents, 1, 12, EventJson("e4", "u1", "c2", kT0 + 1)).ok);
  auto last = engine->Flush();
  ASSERT_TRUE(last.ok()) << last.error();
  const Engine::Offsets want_rest = {{{kEvents, 1}, 13}, {{kEvents, 2}, 6}};
  EXPECT_EQ(*last, want_rest);
  EXPECT_EQ(engine->StoredOffset(kEvents, 1), 13);
  EXPECT_EQ(engine->StoredOffset(kEvents, 2), 6);
  EXPECT_EQ(engine->counters().flushes.load(), 3);

  // What the three batches wrote is what a new engine on the directory holds.
  const int64_t users =
      engine->WithModel([](const Model& m) { return static_cast<int64_t>(m.user_count()); });
  engine.reset();
  std::unique_ptr<Engine> again = OpenEngine();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->WithModel([](const Model& m) { return static_cast<int64_t>(m.user_count()); }),
            users);
  EXPECT_EQ(users, 3);
  EXPECT_EQ(again->StoredOffset(kEvents, 1), 13);
}

TEST_F(EngineTest, NewEngineOnTheSameDirectoryAfterFlushAnswersTheSame) {
  std::vector<Query> queries;
  for (const char* text : {"coffee", "gym", "cofee shop", "karaoke"}) {
    for (const char* user : {"", "u1", "u2", "u3"}) {
      Query q;
      q.request_id = std::string("r-") + text + "-" + user;
      q.activity_text = text;
      if (*user) q.user = UserId(user);
      queries.push_back(q);
      q.position = GeoPoint{40.705, -74.0};
      q.request_id += "-near";
      queries.push_back(q);
    }
  }
  std::vector<Answer> before;
  {
    std::unique_ptr<Engine> engine = OpenEngine();
    ASSERT_NE(engine, nullptr);
    AddPlaces(*engine);
    int64_t offset = 0;
    int n = 0;
    for (const auto& [user, place] :
         std::vector<std::pair<std::string, std::string>>{{"u1", "c1"},
                                                          {"u1", "c1"},
                                                          {"u1", "c2"},
                                                          {"u2", "c2"},
                                                          {"u2", "c3"},
                                                          {"u2", "g1"},
                                                          {"u3", "c3"},
                                                          {"u3", "c1"},
                                                          {"u1", "g1"},
                                                          {"u3", "c3"}}) {
      ++n;
      const Outcome out =
          engine->HandleEvent(kEvents, 0, offset++,
                              EventJson("e" + std::to_string(n), user, place, kT0 + n * 600'000LL,
                                        n % 3 == 0 ? EventType::kClick : EventType::kVisit));
      ASSERT_TRUE(out.ok) << out.reason;
    }
    ASSERT_TRUE(engine->Flush().ok());
    for (const Query& q : queries) before.push_back(engine->Recommend(q));
  }
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->StoredOffset(kEvents, 0), 10);
  EXPECT_EQ(engine->StoredOffset(kPlaces, 0), 4);
  for (size_t i = 0; i < queries.size(); ++i) {
    const Answer after = engine->Recommend(queries[i]);
    const std::string& what = queries[i].request_id;
    EXPECT_EQ(after.ok, before[i].ok) << what;
    EXPECT_EQ(after.activity, before[i].activity) << what;
    EXPECT_EQ(after.error, before[i].error) << what;
    EXPECT_EQ(after.suggestions, before[i].suggestions) << what;
    ASSERT_EQ(Ids(after), Ids(before[i])) << what;
    for (size_t j = 0; j < after.items.size(); ++j) {
      EXPECT_DOUBLE_EQ(after.items[j].score, before[i].items[j].score) << what << " #" << j;
      EXPECT_EQ(after.items[j].distance_km, before[i].items[j].distance_km) << what;
      EXPECT_EQ(after.items[j].reasons, before[i].items[j].reasons) << what << " #" << j;
    }
  }
}

TEST_F(EngineTest, AnswerRequestOnInvalidJsonUsesTheKeyAsRequestId) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  auto [id, json] = engine->AnswerRequest("key-7", "{not json");
  EXPECT_EQ(id, "key-7");
  Decoded<Answer> d = DecodeResponse(json);
  ASSERT_TRUE(d.ok()) << d.error << "\n" << json;
  EXPECT_FALSE(d.value->ok);
  EXPECT_EQ(d.value->request_id, "key-7");
  EXPECT_THAT(d.value->error, HasSubstr("JSON"));
  EXPECT_TRUE(d.value->items.empty());
  EXPECT_EQ(engine->counters().requests_error.load(), 1);

  // A key that is not an id is not used: the response stays valid with an empty id.
  std::tie(id, json) = engine->AnswerRequest("", "{not json");
  EXPECT_EQ(id, "");
  d = DecodeResponse(json);
  ASSERT_TRUE(d.ok()) << d.error << "\n" << json;
  EXPECT_EQ(d.value->request_id, "");
}

TEST_F(EngineTest, AnswerRequestPrefersTheBodysRequestIdAndNamesTheBadField) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  auto [id, json] =
      engine->AnswerRequest("user-1", R"({"request_id":"req-5","activity":"gym","k":1000})");
  EXPECT_EQ(id, "req-5");
  const Decoded<Answer> d = DecodeResponse(json);
  ASSERT_TRUE(d.ok()) << d.error << "\n" << json;
  EXPECT_FALSE(d.value->ok);
  EXPECT_EQ(d.value->request_id, "req-5");
  EXPECT_THAT(d.value->error, HasSubstr("k:"));
}

TEST_F(EngineTest, AnswerRequestAnswersAValidRequest) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  AddPlaces(*engine);
  ASSERT_TRUE(engine->HandleEvent(kEvents, 0, 0, EventJson("e1", "u1", "c2", kT0)).ok);
  auto [id, json] = engine->AnswerRequest(
      "u1", R"({"request_id":"req-6","activity":"Coffee Shops","user_id":"u1","k":2})");
  EXPECT_EQ(id, "req-6");
  const Decoded<Answer> d = DecodeResponse(json);
  ASSERT_TRUE(d.ok()) << d.error << "\n" << json;
  EXPECT_TRUE(d.value->ok);
  EXPECT_EQ(d.value->activity, "Coffee Shop");
  EXPECT_EQ(d.value->items.size(), 2u);
  EXPECT_EQ(d.value->model_version, options_.recommend.model_version);
  EXPECT_EQ(engine->counters().requests_ok.load(), 1);

  // An unknown activity is an error response with suggestions, not a failure.
  std::tie(id, json) =
      engine->AnswerRequest("u1", R"({"request_id":"req-7","activity":"karaoke"})");
  const Decoded<Answer> unknown = DecodeResponse(json);
  ASSERT_TRUE(unknown.ok()) << unknown.error;
  EXPECT_FALSE(unknown.value->ok);
  EXPECT_FALSE(unknown.value->suggestions.empty());
  EXPECT_THAT(unknown.value->error, HasSubstr("karaoke"));
}

TEST_F(EngineTest, ResponsesStayValidWhenAReasonQuotesALongPlaceName) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  // Place names may have 256 characters (place.schema.json); reasons at most 256.
  Place long_named;
  long_named.id = PlaceId("long");
  long_named.name = std::string(256, 'N');
  long_named.position = {40.70, -74.0};
  long_named.activities = {ActivityId("Coffee Shop")};
  ASSERT_TRUE(engine->HandlePlace(kPlaces, 0, 0, "long", EncodePlace(long_named)).ok);
  ASSERT_TRUE(
      engine->HandlePlace(kPlaces, 0, 1, "next", PlaceJson("next", 40.71, "Coffee Shop")).ok);
  // u1 goes from "long" to "next" and is now at "long" again: "next" is where people go next.
  int64_t offset = 0;
  for (const char* place : {"long", "next", "long"}) {
    ASSERT_TRUE(engine
                    ->HandleEvent(kEvents, 0, offset,
                                  EventJson("e" + std::to_string(offset), "u1", place,
                                            kT0 + offset * 600'000LL))
                    .ok);
    ++offset;
  }
  auto [id, json] =
      engine->AnswerRequest("u1", R"({"request_id":"req-8","activity":"coffee","user_id":"u1"})");
  const Decoded<Answer> d = DecodeResponse(json);
  ASSERT_TRUE(d.ok()) << d.error << "\n" << json;
  EXPECT_TRUE(d.value->ok);
  EXPECT_EQ(d.value->items.size(), 2u);
}

TEST_F(EngineTest, TombstoneDeletesAPlace) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  AddPlaces(*engine);
  ASSERT_TRUE(engine->Flush().ok());
  ASSERT_TRUE(engine->store().Get(Space::kPlaces, "c2").has_value());

  const Outcome out = engine->HandlePlace(kPlaces, 0, 4, "c2", std::nullopt);
  EXPECT_TRUE(out.ok) << out.reason;
  engine->WithModel([](const Model& m) { EXPECT_EQ(m.FindPlace(PlaceId("c2")), nullptr); });
  Query q;
  q.request_id = "r";
  q.activity_text = "coffee";
  EXPECT_THAT(Ids(engine->Recommend(q)), ::testing::UnorderedElementsAre("c1", "c3"));
  ASSERT_TRUE(engine->Flush().ok());
  EXPECT_EQ(engine->store().Get(Space::kPlaces, "c2"), std::nullopt);
  EXPECT_EQ(engine->StoredOffset(kPlaces, 0), 5);

  // A tombstone whose key is not a place id is rejected, and the place stays.
  const Outcome bad = engine->HandlePlace(kPlaces, 0, 5, "", std::nullopt);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.code, "schema");
  EXPECT_EQ(engine->counters().places_rejected.load(), 1);
}

TEST_F(EngineTest, PlaceWhoseKeyDiffersFromItsIdIsRejected) {
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  const Outcome out =
      engine->HandlePlace(kPlaces, 0, 0, "other", PlaceJson("c1", 40.7, "Coffee Shop"));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.code, "schema");
  EXPECT_THAT(out.reason, HasSubstr("other"));
  engine->WithModel([](const Model& m) { EXPECT_EQ(m.place_count(), 0u); });
  EXPECT_EQ(engine->counters().places_rejected.load(), 1);
}

// Everything the engine learns by gradient steps, exactly.
struct Learned {
  std::vector<double> blend;
  int64_t steps = 0;
  std::string als_version;
  std::map<std::string, std::vector<float>> factors;
  bool operator==(const Learned&) const = default;
};

// What differs, for failure messages.
void PrintTo(const Learned& l, std::ostream* os) {
  *os << "steps=" << l.steps << " als=" << l.als_version << " blend[0..3]=";
  for (size_t i = 0; i < 4 && i < l.blend.size(); ++i) *os << l.blend[i] << ",";
  *os << " vectors=" << l.factors.size();
  for (const auto& [k, v] : l.factors) {
    if (k.starts_with("als:")) {
      *os << " " << k << "[0]=" << v[0];
      break;
    }
  }
}

Learned LearnedOf(const Engine& engine) {
  return engine.WithModel([](const Model& m) {
    Learned l;
    const Blend& b = m.blend();
    l.blend.insert(l.blend.end(), b.gate.w.begin(), b.gate.w.end());
    l.blend.insert(l.blend.end(), b.gate.g2.begin(), b.gate.g2.end());
    l.blend.insert(l.blend.end(), b.ret.w.begin(), b.ret.w.end());
    l.blend.insert(l.blend.end(), b.ret.g2.begin(), b.ret.g2.end());
    l.blend.insert(l.blend.end(), b.explore.w.begin(), b.explore.w.end());
    l.blend.insert(l.blend.end(), b.explore.g2.begin(), b.explore.g2.end());
    l.steps = b.steps;
    if (const AlsModel* als = m.als()) {
      l.als_version = als->version();
      for (const PlaceId& p : als->place_ids()) {
        const float* v = als->PlaceVector(p);
        l.factors["als:" + p.str()] = std::vector<float>(v, v + als->factors());
      }
    }
    for (const auto& [id, user] : m.users()) {
      if (!user.has_bpr) continue;
      l.factors["u:" + id.str()] =
          std::vector<float>(user.bpr.data(), user.bpr.data() + user.bpr.size());
    }
    m.factors().ForEachPlace([&](uint32_t n, const FactorModel::PackedVector& v) {
      l.factors["p:" + m.IndexedId(n).str()] = std::vector<float>(v.data(), v.data() + v.size());
    });
    return l;
  });
}

TEST_F(EngineTest, LearnedParametersResumeFromTheLastCommittedBatchAfterACrash) {
  // Every run installs the retrain at the same event, however long its thread takes.
  options_.model.retrain_install_waits = true;
  // 40 events of 4 users over the three coffee shops and the gym.
  std::vector<std::string> events;
  const char* places[] = {"c1", "c2", "c3", "g1"};
  for (int n = 0; n < 40; ++n) {
    events.push_back(EventJson("e" + std::to_string(n), "u" + std::to_string(n % 4),
                               places[(n * 7 + n / 4) % 4], kT0 + n * 900'000LL,
                               n % 5 == 0 ? EventType::kClick : EventType::kVisit));
  }
  auto feed = [&](Engine& engine, int from, int to) {
    for (int n = from; n < to; ++n) {
      const Outcome out = engine.HandleEvent(kEvents, 0, n, events[static_cast<size_t>(n)]);
      ASSERT_TRUE(out.ok) << out.reason;
    }
  };
  // Uninterrupted reference in a directory of its own.
  const fs::path reference_dir = dir_.string() + "_reference";
  fs::remove_all(reference_dir);
  Learned reference;
  {
    std::unique_ptr<Engine> engine = OpenEngineAt(reference_dir);
    ASSERT_NE(engine, nullptr);
    AddPlaces(*engine);
    feed(*engine, 0, 40);
    ASSERT_TRUE(engine->Flush().ok());
    reference = LearnedOf(*engine);
  }
  fs::remove_all(reference_dir);
  ASSERT_GT(reference.steps, 0);
  ASSERT_FALSE(reference.factors.empty());
  ASSERT_TRUE(std::any_of(reference.factors.begin(), reference.factors.end(), [](const auto& kv) {
    return kv.first.starts_with("u:");
  })) << "users' factor vectors are among what must resume";

  Learned committed;
  {
    std::unique_ptr<Engine> engine = OpenEngine();
    ASSERT_NE(engine, nullptr);
    AddPlaces(*engine);
    // The events span 18:00 to 04:00 UTC: the full retrain starts at midnight (event 24) and
    // is installed an hour later (event 28), so the committed batch holds it.
    feed(*engine, 0, 30);
    ASSERT_TRUE(engine->Flush().ok());
    engine->WithModel([](const Model& m) { ASSERT_NE(m.als(), nullptr); });
    committed = LearnedOf(*engine);
    feed(*engine, 30, 36);
    // The crash: the engine goes away with a batch it never committed.
    ASSERT_NE(LearnedOf(*engine), committed);
  }
  std::unique_ptr<Engine> engine = OpenEngine();
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->StoredOffset(kEvents, 0), 30);
  ASSERT_TRUE(engine->CompleteLoad().ok());  // the users' vectors, as the loop reads them
  EXPECT_EQ(LearnedOf(*engine), committed);
  // Consumption resumes at the stored offset and ends where the uninterrupted run ended.
  feed(*engine, 30, 40);
  EXPECT_EQ(LearnedOf(*engine), reference);
}

}  // namespace
}  // namespace locus
