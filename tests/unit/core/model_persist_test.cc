// Persist/Load of the Model: what is written, when, and that a reload changes nothing.
#include "src/core/bytes.h"
#include "src/core/features.h"
#include "src/core/model.h"
#include "src/core/recommend.h"
#include "tests/unit/core/map_state.h"
#include "tests/unit/core/model_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

namespace locus {
namespace {

using test_support::EntryIds;
using test_support::ExpectSameAnswer;
using test_support::kHour;
using test_support::kT0;
using test_support::MakeEvent;
using test_support::MakeModel;
using test_support::MakePlace;
using test_support::MapState;
using test_support::Mine;
using test_support::Stat;
using ::testing::HasSubstr;

Model MakeModelWithHistory(MapState& state) {
  Model m = MakeModel();
  m.UpsertPlace(MakePlace("gone", "Closed Cafe", {40.7000, -74.0000}, {"Coffee Shop"}));
  int n = 0;
  auto apply = [&](EventType type, const std::string& user, const std::string& place, TimeMs ts,
                   std::optional<std::string> activity = std::nullopt) {
    Event e = MakeEvent("e" + std::to_string(++n), type, user, place, ts, std::move(activity));
    if (type == EventType::kRating) e.value = 7;
    ASSERT_TRUE(m.Apply(e).ok()) << e.event_id;
  };
  apply(EventType::kVisit, "u1", "p1", kT0);
  apply(EventType::kVisit, "u1", "p1", kT0 + kHour);
  apply(EventType::kClick, "u1", "p2", kT0 + 2 * kHour);
  apply(EventType::kVisit, "u2", "p2", kT0 + 3 * kHour);
  apply(EventType::kVisit, "u2", "p3", kT0 + 4 * kHour);
  apply(EventType::kVisit, "u3", "p3", kT0 + 5 * kHour, "Bar");
  apply(EventType::kVisit, "u3", "g1", kT0 + 6 * kHour, "Yoga Studio");
  apply(EventType::kRating, "u3", "p1", kT0 + 7 * kHour);
  apply(EventType::kVisit, "u4", "gone", kT0 + 8 * kHour);
  apply(EventType::kVisit, "u4", "p2", kT0 - 24 * kHour);  // late arrival
  m.DeletePlace(PlaceId("gone"));
  m.CountRejected("invalid_json");
  m.Persist(state);
  state.TakeOps();
  return m;
}

std::vector<Query> SomeQueries() {
  std::vector<Query> queries;
  for (const char* text : {"coffee", "Coffee Shop", "bar", "yoga", "gym", "karaoke"}) {
    for (const char* user : {"", "u1", "u2", "u3", "u4", "stranger"}) {
      Query q;
      q.request_id = std::string(text) + "/" + user;
      q.activity_text = text;
      if (*user) q.user = UserId(user);
      queries.push_back(q);
      q.position = GeoPoint{40.7310, -74.0110};
      queries.push_back(q);
    }
  }
  return queries;
}

TEST(ModelPersistenceTest, LoadRestoresWhatPersistWrote) {
  MapState state;
  const Model original = MakeModelWithHistory(state);
  Model loaded(ModelOptions{});
  ASSERT_TRUE(loaded.Load(state).ok());

  EXPECT_EQ(loaded.place_count(), original.place_count());
  size_t compared = 0;
  original.ForEachPlace([&](const PlaceEntry& place) {
    const Place* p = loaded.FindPlace(place.id);
    ASSERT_NE(p, nullptr) << place.id.str();
    EXPECT_EQ(p->name, place.name);
    EXPECT_EQ(p->position.lat, place.position.lat);
    EXPECT_EQ(p->position.lon, place.position.lon);
    EXPECT_EQ(p->activities, place.activities);
    EXPECT_EQ(p->tags, place.tags);
    ++compared;
  });
  EXPECT_EQ(compared, original.place_count());
  EXPECT_EQ(loaded.FindPlace(PlaceId("gone")), nullptr);
  EXPECT_EQ(loaded.events_applied(), original.events_applied());
  EXPECT_EQ(loaded.newest_ts(), original.newest_ts());
  EXPECT_EQ(loaded.rejected(), original.rejected());
  for (const char* a : {"Coffee Shop", "Bar", "Gym", "Yoga Studio"}) {
    const ActivityId activity(a);
    EXPECT_EQ(loaded.ActivityPopularity(activity), original.ActivityPopularity(activity)) << a;
    std::vector<PlaceId> want = original.PlacesFor(activity);
    std::vector<PlaceId> got = loaded.PlacesFor(activity);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << a;
  }
  for (const auto& [activity, stats] : original.activity_stats()) {
    for (const auto& [place, s] : stats) {
      const ActivityPlaceStat* t = Stat(loaded, activity.str(), place.str());
      ASSERT_NE(t, nullptr) << activity.str() << " " << place.str();
      EXPECT_EQ(t->visits, s.visits);
      EXPECT_EQ(t->clicks, s.clicks);
      EXPECT_EQ(t->ratings, s.ratings);
      EXPECT_EQ(t->rating_sum, s.rating_sum);
      EXPECT_EQ(t->popularity.mass, s.popularity.mass);
      EXPECT_EQ(t->popularity.ref, s.popularity.ref);
      EXPECT_EQ(t->last, s.last);
    }
  }
  size_t entries = 0;
  for (const auto& [user, held] : original.users()) {
    original.ForEachActivity(
        held.history, [&](const ActivityId& activity, Model::UserPlaces places) {
          for (const UserPlaceEntry& h : places) {
            const std::string& place = original.IndexedId(h.place).str();
            const UserPlaceStat* t = Mine(loaded, user.str(), activity.str(), place);
            ASSERT_NE(t, nullptr) << user.str() << " " << activity.str() << " " << place;
            EXPECT_EQ(t->visits, h.stat.visits);
            EXPECT_EQ(t->clicks, h.stat.clicks);
            EXPECT_EQ(t->last, h.stat.last);
            ++entries;
          }
        });
    EXPECT_EQ(loaded.users().at(user).history.size(), held.history.size()) << user.str();
  }
  EXPECT_GT(entries, 0u);
  EXPECT_EQ(loaded.users().size(), original.users().size());
}

TEST(ModelPersistenceTest, LoadedModelPersistsExactlyWhatTheOriginalPersists) {
  MapState state;
  Model original = MakeModelWithHistory(state);
  Model loaded(ModelOptions{});
  ASSERT_TRUE(loaded.Load(state).ok());

  // The same new events on both: the writes must be byte for byte the same.
  MapState a = state;
  MapState b = state;
  a.TakeOps();
  b.TakeOps();
  for (Model* m : {&original, &loaded}) {
    ASSERT_TRUE(m->Apply(MakeEvent("n1", EventType::kVisit, "u1", "p2", kT0 + 9 * kHour)).ok());
    ASSERT_TRUE(m->Apply(MakeEvent("n2", EventType::kClick, "u5", "p3", kT0 + 10 * kHour)).ok());
    ASSERT_TRUE(
        m->Apply(MakeEvent("n3", EventType::kVisit, "u3", "g1", kT0 + 2 * kHour, "Yoga Studio"))
            .ok());
    m->CountRejected("schema");
  }
  original.Persist(a);
  loaded.Persist(b);
  // A batch commits at once: the order of its writes carries no meaning (it follows where the
  // tables' nodes are), what is written does, and each key once.
  auto sorted = [](std::vector<MapState::Op> ops) {
    auto key = [](const MapState::Op& o) { return std::tie(o.space, o.key, o.put, o.value); };
    std::sort(ops.begin(), ops.end(),
              [&](const MapState::Op& x, const MapState::Op& y) { return key(x) < key(y); });
    return ops;
  };
  const std::vector<MapState::Op> ops_a = sorted(a.TakeOps());
  const std::vector<MapState::Op> ops_b = sorted(b.TakeOps());
  for (size_t i = 1; i < ops_a.size(); ++i) {
    EXPECT_FALSE(ops_a[i - 1].space == ops_a[i].space && ops_a[i - 1].key == ops_a[i].key)
        << "written twice in one batch: "
        << Model::DescribeEntry(ops_a[i].space, ops_a[i].key, ops_a[i].value);
  }
  EXPECT_FALSE(ops_a.empty());
  ASSERT_EQ(ops_a.size(), ops_b.size());
  for (size_t i = 0; i < ops_a.size(); ++i) {
    EXPECT_TRUE(ops_a[i] == ops_b[i])
        << "write " << i << ": "
        << Model::DescribeEntry(ops_a[i].space, ops_a[i].key, ops_a[i].value) << " vs "
        << Model::DescribeEntry(ops_b[i].space, ops_b[i].key, ops_b[i].value);
  }
  EXPECT_TRUE(a.entries() == b.entries());
}

// A reader whose entry counts are wrong (a table sized for `hint` entries, whatever it holds).
class HintedReader final : public StateReader {
 public:
  HintedReader(const StateReader& reader, uint64_t hint) : reader_(reader), hint_(hint) {}
  Status Scan(Space space,
              const std::function<void(std::string_view, std::string_view)>& visit) const override {
    return reader_.Scan(space, visit);
  }
  std::optional<std::string> Get(Space space, std::string_view key) const override {
    return reader_.Get(space, key);
  }
  uint64_t EntriesHint(Space /*space*/) const override { return hint_; }

 private:
  const StateReader& reader_;
  uint64_t hint_;
};

TEST(ModelPersistenceTest, EntryCountHintsSizeTablesButChangeNothingLoaded) {
  MapState state;
  Model original = MakeModelWithHistory(state);
  for (uint64_t hint : {uint64_t{1}, uint64_t{3}, uint64_t{100000}}) {
    Model loaded(ModelOptions{});
    ASSERT_TRUE(loaded.Load(HintedReader(state, hint)).ok()) << hint;
    const LearnedScorer scorer;
    for (const Query& q : SomeQueries()) {
      ExpectSameAnswer(Recommend(original, scorer, q, {}), Recommend(loaded, scorer, q, {}),
                       q.request_id + " hint " + std::to_string(hint));
    }
    // And it goes on as the original: the same writes after the same events.
    Model again = MakeModelWithHistory(state);
    MapState a = state, b = state;
    for (Model* m : {&again, &loaded}) {
      ASSERT_TRUE(m->Apply(MakeEvent("n1", EventType::kVisit, "u1", "p2", kT0 + 9 * kHour)).ok());
      ASSERT_TRUE(m->Apply(MakeEvent("n2", EventType::kClick, "u5", "p3", kT0 + 10 * kHour)).ok());
    }
    again.Persist(a);
    loaded.Persist(b);
    EXPECT_TRUE(a.entries() == b.entries()) << hint;
  }
}

// Delays every scan of one space.
class SlowReader final : public StateReader {
 public:
  SlowReader(const StateReader& reader, Space slow) : reader_(reader), slow_(slow) {}
  Status Scan(Space space,
              const std::function<void(std::string_view, std::string_view)>& visit) const override {
    if (space == slow_) std::this_thread::sleep_for(std::chrono::milliseconds(60));
    return reader_.Scan(space, visit);
  }
  std::optional<std::string> Get(Space space, std::string_view key) const override {
    return reader_.Get(space, key);
  }

 private:
  const StateReader& reader_;
  Space slow_;
};

TEST(ModelPersistenceTest, LoadReportsTheTimeOfEachPartOnThePartThatReadTheSpace) {
  MapState state;
  MakeModelWithHistory(state);
  const std::vector<std::string> names = {"places", "activity_place", "users",   "place_profiles",
                                          "pairs",  "learned",        "derived", "total"};
  for (auto [space, part] :
       {std::pair(Space::kCovisits, "pairs"), std::pair(Space::kProfiles, "users"),
        std::pair(Space::kPlaces, "places")}) {
    Model loaded(ModelOptions{});
    ASSERT_TRUE(loaded.Load(SlowReader(state, space)).ok());
    std::vector<std::string> got;
    std::map<std::string, double> seconds;
    for (const auto& [name, s] : loaded.load_parts()) {
      got.push_back(name);
      seconds[name] = s;
    }
    EXPECT_EQ(got, names);
    EXPECT_GE(seconds[part], 0.06) << part;
    for (const auto& [name, s] : seconds) {
      EXPECT_GE(s, 0) << name;
      EXPECT_LE(s, seconds["total"]) << name;
    }
  }
}

TEST(ModelPersistenceTest, LoadedModelGivesTheSameBaselineAnswers) {
  MapState state;
  const Model original = MakeModelWithHistory(state);
  Model loaded(ModelOptions{});
  ASSERT_TRUE(loaded.Load(state).ok());
  const BaselineScorer scorer;
  for (const Query& q : SomeQueries()) {
    ExpectSameAnswer(Recommend(original, scorer, q, {}), Recommend(loaded, scorer, q, {}),
                     q.request_id + (q.position ? " with position" : ""));
  }
}

TEST(ModelPersistenceTest, LoadedModelGivesTheSameLearnedAnswers) {
  // The engine serves with the LearnedScorer: after a restart (Load) its answers must not
  // change, so everything the learned blend reads has to survive Persist/Load.
  MapState state;
  const Model original = MakeModelWithHistory(state);
  Model loaded(ModelOptions{});
  ASSERT_TRUE(loaded.Load(state).ok());
  const LearnedScorer scorer;
  for (const Query& q : SomeQueries()) {
    ExpectSameAnswer(Recommend(original, scorer, q, {}), Recommend(loaded, scorer, q, {}),
                     q.request_id + (q.position ? " with position" : ""));
  }
}

// The retrained model's header ends with its Gram matrix; a store written before it did is
// read the same, the matrix computed as the training computed it.
TEST(ModelPersistenceTest, AnAlsHeaderWithoutItsGramMatrixLoadsTheSameModel) {
  MapState state;
  const Model original = MakeModelWithHistory(state);
  ASSERT_NE(original.als(), nullptr);
  const std::optional<std::string> header = state.Get(Space::kLearned, "als");
  ASSERT_TRUE(header.has_value());
  std::string version;
  int64_t factors = 0;
  double regularization = 0, alpha = 0;
  std::string gram;
  ByteReader r(*header);
  ASSERT_TRUE(r.Str(version) && r.I64(factors) && r.F64(regularization) && r.F64(alpha) &&
              r.Str(gram) && r.done());
  EXPECT_EQ(gram.size(), sizeof(float) * static_cast<size_t>(factors * factors));
  state.Put(Space::kLearned, "als",
            ByteWriter().Str(version).I64(factors).F64(regularization).F64(alpha).Take());
  Model loaded(ModelOptions{});
  ASSERT_TRUE(loaded.Load(state).ok());
  ASSERT_NE(loaded.als(), nullptr);
  EXPECT_EQ(loaded.als()->place_ids(), original.als()->place_ids());
  EXPECT_EQ(loaded.als()->place_factors(), original.als()->place_factors());
  EXPECT_EQ(loaded.als()->gram(), original.als()->gram());
  const LearnedScorer scorer;
  for (const Query& q : SomeQueries()) {
    ExpectSameAnswer(Recommend(original, scorer, q, {}), Recommend(loaded, scorer, q, {}),
                     q.request_id + (q.position ? " with position" : ""));
  }
  // A Gram matrix of another size is a corrupt header.
  state.Put(
      Space::kLearned, "als",
      ByteWriter().Str(version).I64(factors).F64(regularization).F64(alpha).Str("xxxx").Take());
  Model corrupt(ModelOptions{});
  EXPECT_FALSE(corrupt.Load(state).ok());
}

TEST(ModelPersistenceTest, PersistWritesOnlyWhatChangedSinceTheLastPersist) {
  Model m = MakeModel();
  MapState state;
  m.Persist(state);
  std::vector<MapState::Op> ops = state.TakeOps();
  EXPECT_EQ(ops.size(), 4u);  // the four places
  for (const MapState::Op& op : ops) {
    EXPECT_TRUE(op.put);
    EXPECT_EQ(op.space, Space::kPlaces);
  }

  m.Persist(state);
  EXPECT_TRUE(state.TakeOps().empty()) << "nothing changed";

  ASSERT_TRUE(m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "p1", kT0)).ok());
  m.Persist(state);
  ops = state.TakeOps();
  std::vector<std::string> written;
  std::set<std::pair<Space, std::string>> keys;
  for (const MapState::Op& op : ops) {
    ASSERT_TRUE(op.put);
    EXPECT_NE(op.space, Space::kPlaces) << "the place itself did not change";
    EXPECT_TRUE(keys.emplace(op.space, op.key).second) << "written twice: " << op.key;
    written.push_back(Model::DescribeEntry(op.space, op.key, op.value));
    // Nothing about the places, users and activities the event did not touch.
    for (const char* other : {"p2", "p3", "g1", "Gym", "Bar"}) {
      EXPECT_THAT(written.back(), ::testing::Not(HasSubstr(other)));
    }
  }
  const std::vector<::testing::Matcher<const std::string&>> expected = {
      HasSubstr("activity_place Coffee Shop | p1 visits=1"),
      HasSubstr("user_history u1 | Coffee Shop | p1 visits=1"),
      ::testing::Eq("meta events_applied 1"),
      ::testing::Eq("meta newest_ts " + std::to_string(kT0))};
  EXPECT_THAT(written, ::testing::IsSupersetOf(expected));

  m.Persist(state);
  EXPECT_TRUE(state.TakeOps().empty()) << "nothing changed since the last Persist";

  m.CountRejected("schema");
  m.Persist(state);
  written.clear();
  for (const MapState::Op& op : state.TakeOps()) {
    EXPECT_EQ(op.space, Space::kMeta);
    written.push_back(Model::DescribeEntry(op.space, op.key, op.value));
  }
  EXPECT_THAT(written, ::testing::Contains("meta rejected/schema 1"));

  m.DeletePlace(PlaceId("p2"));
  m.Persist(state);
  ops = state.TakeOps();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_FALSE(ops[0].put);
  EXPECT_EQ(ops[0].space, Space::kPlaces);
  EXPECT_EQ(ops[0].key, "p2");
  EXPECT_FALSE(state.Get(Space::kPlaces, "p2").has_value());
}

TEST(ModelPersistenceTest, APlaceGivenAgainAfterADeleteScoresWithItsHistoryLiveAndRestored) {
  // "gone" had a visit, then was deleted; its stats and profile stay in the tables. Given
  // again, it must be scored from them, in the live model and in one restored from the store.
  MapState state;
  Model live = MakeModelWithHistory(state);
  Model restored(ModelOptions{});
  ASSERT_TRUE(restored.Load(state).ok());
  const Place again = MakePlace("gone", "Reopened Cafe", {40.7000, -74.0000}, {"Coffee Shop"});
  live.UpsertPlace(again);
  restored.UpsertPlace(again);
  auto features = [](const Model& m) {
    const FeatureContext c =
        MakeFeatureContext(m, ActivityId("Coffee Shop"), UserId("u4"), std::nullopt, m.newest_ts());
    return ComputeFeatures(c, *m.FindPlace(PlaceId("gone")), std::nullopt);
  };
  const Features x = features(live);
  EXPECT_GT(x[kPopLog], 0) << "its visit still counts";
  EXPECT_GT(x[kPopUsersLog], 0) << "its profile is still there";
  EXPECT_GT(x[kOwnAny], 0) << "u4 has been there";
  EXPECT_EQ(features(restored), x);
}

// Both ways a load reads the co-visit and transition rows.
constexpr Model::RowLoading kRowLoadings[] = {Model::RowLoading::kAtOnce,
                                              Model::RowLoading::kOnFirstUse};

// A co-visitation or transition row by neighbour id (rows are keyed by place numbers, which
// a restart gives anew).
std::map<std::string, int64_t> RowById(const Model& m, const Model::PlaceCounts* row) {
  std::map<std::string, int64_t> out;
  if (row == nullptr) return out;
  for (size_t i = 0; i < row->size(); ++i) out[m.IndexedId(row->key(i)).str()] = row->count(i);
  return out;
}

TEST(ModelPersistenceTest, CovisitAndTransitionRowsAreTheSameByIdLiveAndRestored) {
  for (const Model::RowLoading loading : kRowLoadings) {
    SCOPED_TRACE(loading == Model::RowLoading::kAtOnce ? "rows at once" : "rows on first use");
    MapState state;
    Model live = MakeModelWithHistory(state);
    Model restored(ModelOptions{});
    ASSERT_TRUE(restored.Load(state, loading).ok());
    // u4 went to "gone" (deleted since) and then p2: the pair is counted both ways.
    EXPECT_EQ(RowById(live, live.CoVisits(PlaceId("p2"))).at("gone"), 1);
    EXPECT_EQ(RowById(live, live.TransitionsFrom(PlaceId("gone"))).at("p2"), 1);
    // Another visit after the restart, between the deleted place given again and p3.
    const Place again = MakePlace("gone", "Reopened Cafe", {40.7000, -74.0000}, {"Coffee Shop"});
    for (Model* m : {&live, &restored}) {
      m->UpsertPlace(again);
      ASSERT_TRUE(m->Apply(MakeEvent("r1", EventType::kVisit, "u4", "p3", kT0 + 9 * kHour)).ok());
    }
    for (const char* id : {"p1", "p2", "p3", "g1", "gone"}) {
      EXPECT_EQ(RowById(live, live.CoVisits(PlaceId(id))),
                RowById(restored, restored.CoVisits(PlaceId(id))))
          << id;
      EXPECT_EQ(RowById(live, live.TransitionsFrom(PlaceId(id))),
                RowById(restored, restored.TransitionsFrom(PlaceId(id))))
          << id;
    }
    EXPECT_EQ(RowById(restored, restored.CoVisits(PlaceId("p3"))).at("gone"), 1);
    // u2 went from p2 to p3 before, u4 now.
    EXPECT_EQ(RowById(restored, restored.TransitionsFrom(PlaceId("p2"))).at("p3"), 2);
  }
}

TEST(ModelPersistenceTest, RowsReadOnFirstUseAnswerAndGoOnAsRowsReadAtOnce) {
  MapState state;
  MakeModelWithHistory(state);
  // Pairs with a place nothing else names (a deleted place known only from rows): a load at
  // once numbers it; an answer reading the row on first use leaves it out (it numbers
  // nothing) but counts the moves to it.
  state.Put(Space::kTransitions, ByteWriter().Str("p1").Str("ghost").Take(),
            ByteWriter().I64(3).Take());
  state.Put(Space::kCovisits, ByteWriter().Str("p1").Str("ghost").Take(),
            ByteWriter().I64(2).Take());
  MapState a = state, b = state, c = state;
  Model at_once(ModelOptions{}), on_first_use(ModelOptions{}), completed(ModelOptions{});
  ASSERT_TRUE(at_once.Load(a).ok());
  EXPECT_FALSE(at_once.rows_pending());
  ASSERT_TRUE(on_first_use.Load(b, Model::RowLoading::kOnFirstUse).ok());
  ASSERT_TRUE(completed.Load(c, Model::RowLoading::kOnFirstUse).ok());
  EXPECT_TRUE(on_first_use.rows_pending());
  const LearnedScorer scorer;
  for (const Query& q : SomeQueries()) {
    ExpectSameAnswer(Recommend(at_once, scorer, q, {}), Recommend(on_first_use, scorer, q, {}),
                     q.request_id);
  }
  EXPECT_EQ(RowById(at_once, at_once.TransitionsFrom(PlaceId("p1"))).at("ghost"), 3);
  EXPECT_GE(at_once.TransitionsOut(PlaceId("p1")), 3);
  EXPECT_EQ(on_first_use.TransitionsOut(PlaceId("p1")), at_once.TransitionsOut(PlaceId("p1")));
  EXPECT_FALSE(on_first_use.PlaceNumber(PlaceId("ghost")).has_value());
  // The third reads every row in chunks of about one pair (some read by answers first), as
  // the engine does: each chunk read before the one before it is installed.
  ExpectSameAnswer(Recommend(at_once, scorer, SomeQueries()[3], {}),
                   Recommend(completed, scorer, SomeQueries()[3], {}), "before completing");
  Model::RowCursor cursor;
  Model::StoredRows chunk, next;
  ASSERT_TRUE(completed.ReadStoredRows(cursor, 1, chunk).ok());
  int chunks = 1;
  while (!chunk.last) {
    ASSERT_TRUE(completed.ReadStoredRows(cursor, 1, next).ok());
    EXPECT_TRUE(completed.rows_pending());
    completed.InstallRows(chunk);
    chunk = std::move(next);
    ++chunks;
  }
  completed.InstallRows(chunk);
  EXPECT_GT(chunks, 4);
  EXPECT_FALSE(completed.rows_pending());
  EXPECT_TRUE(completed.PlaceNumber(PlaceId("ghost")).has_value());
  for (const char* id : {"p1", "p2", "p3", "g1", "gone"}) {
    EXPECT_EQ(RowById(at_once, at_once.TransitionsFrom(PlaceId(id))),
              RowById(completed, completed.TransitionsFrom(PlaceId(id))))
        << id;
    EXPECT_EQ(at_once.TransitionsOut(PlaceId(id)), completed.TransitionsOut(PlaceId(id))) << id;
    EXPECT_EQ(RowById(at_once, at_once.CoVisits(PlaceId(id))),
              RowById(completed, completed.CoVisits(PlaceId(id))))
        << id;
  }
  // u1 goes from p1 to p2: both of p1's rows change, and are then read whole.
  for (Model* m : {&at_once, &on_first_use, &completed}) {
    ASSERT_TRUE(m->Apply(MakeEvent("n1", EventType::kVisit, "u1", "p1", kT0 + 9 * kHour)).ok());
    ASSERT_TRUE(m->Apply(MakeEvent("n2", EventType::kVisit, "u1", "p2", kT0 + 10 * kHour)).ok());
    ASSERT_TRUE(m->Apply(MakeEvent("n3", EventType::kVisit, "u5", "p1", kT0 + 11 * kHour)).ok());
  }
  for (const char* id : {"p1", "p2", "p3"}) {
    EXPECT_EQ(RowById(at_once, at_once.TransitionsFrom(PlaceId(id))),
              RowById(on_first_use, on_first_use.TransitionsFrom(PlaceId(id))))
        << id;
    EXPECT_EQ(at_once.TransitionsOut(PlaceId(id)), on_first_use.TransitionsOut(PlaceId(id))) << id;
    EXPECT_EQ(RowById(at_once, at_once.CoVisits(PlaceId(id))),
              RowById(on_first_use, on_first_use.CoVisits(PlaceId(id))))
        << id;
  }
  EXPECT_EQ(RowById(on_first_use, on_first_use.CoVisits(PlaceId("p1"))).at("ghost"), 2);
  a.TakeOps();
  b.TakeOps();
  c.TakeOps();
  at_once.Persist(a);
  on_first_use.Persist(b);
  completed.Persist(c);
  EXPECT_FALSE(b.TakeOps().empty());
  EXPECT_TRUE(a.entries() == b.entries());
  EXPECT_TRUE(a.entries() == c.entries());
  for (const Query& q : SomeQueries()) {
    ExpectSameAnswer(Recommend(at_once, scorer, q, {}), Recommend(on_first_use, scorer, q, {}),
                     q.request_id + " after");
    ExpectSameAnswer(Recommend(at_once, scorer, q, {}), Recommend(completed, scorer, q, {}),
                     q.request_id + " after, completed");
  }
}

// Fails the reads of `spaces` (scans; gets find nothing) while `fail` is set.
class FailingRowsReader final : public StateReader {
 public:
  explicit FailingRowsReader(const StateReader& reader) : reader_(reader) {}
  Status Scan(Space space,
              const std::function<void(std::string_view, std::string_view)>& visit) const override {
    if (fail && spaces.contains(space)) return Status::Error("disk says no");
    return reader_.Scan(space, visit);
  }
  std::optional<std::string> Get(Space space, std::string_view key) const override {
    if (fail && spaces.contains(space)) return std::nullopt;
    return reader_.Get(space, key);
  }
  Status ScanFrom(
      Space space, std::string_view start,
      const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    if (fail && spaces.contains(space)) return Status::Error("disk says no");
    return reader_.ScanFrom(space, start, visit);
  }
  bool fail = false;
  std::set<Space> spaces = {Space::kCovisits, Space::kTransitions};

 private:
  const StateReader& reader_;
};

TEST(ModelPersistenceTest, ARowThatCannotBeReadIsLeftUnreadAndCompletingFails) {
  MapState state;
  Model original = MakeModelWithHistory(state);
  FailingRowsReader reader(state);
  Model loaded(ModelOptions{});
  ASSERT_TRUE(loaded.Load(reader, Model::RowLoading::kOnFirstUse).ok());
  reader.fail = true;
  EXPECT_EQ(loaded.CoVisits(PlaceId("p2")), nullptr) << "not read";
  const LearnedScorer scorer;
  Query q;
  q.request_id = "r";
  q.activity_text = "coffee";
  q.user = UserId("u1");
  EXPECT_TRUE(Recommend(loaded, scorer, q, {}).ok) << "answers go on without the row";
  bool done = false;
  EXPECT_FALSE(loaded.CompleteRows(1000, done).ok());
  EXPECT_FALSE(done);
  reader.fail = false;
  EXPECT_EQ(RowById(loaded, loaded.CoVisits(PlaceId("p2"))),
            RowById(original, original.CoVisits(PlaceId("p2"))))
      << "read again once the store answers";
  while (!done) ASSERT_TRUE(loaded.CompleteRows(1000, done).ok());
  EXPECT_FALSE(loaded.rows_pending());
  EXPECT_EQ(RowById(loaded, loaded.TransitionsFrom(PlaceId("p2"))),
            RowById(original, original.TransitionsFrom(PlaceId("p2"))));
}

TEST(ModelPersistenceTest, ARowAnAnswerReadWithoutAPlaceIsReadAgainWhenThePlaceComesBack) {
  MapState state;
  MakeModelWithHistory(state);
  state.Put(Space::kTransitions, ByteWriter().Str("p1").Str("ghost").Take(),
            ByteWriter().I64(3).Take());
  Model loaded(ModelOptions{});
  ASSERT_TRUE(loaded.Load(state, Model::RowLoading::kOnFirstUse).ok());
  EXPECT_FALSE(RowById(loaded, loaded.TransitionsFrom(PlaceId("p1"))).contains("ghost"));
  loaded.UpsertPlace(MakePlace("ghost", "Ghost Cafe", {40.7100, -74.0100}, {"Coffee Shop"}));
  EXPECT_EQ(RowById(loaded, loaded.TransitionsFrom(PlaceId("p1"))).at("ghost"), 3);
}

// A user's state by ids, through what answers read: history (activity, place, visits,
// clicks, last) for every activity with stats, the profile, the factor vector.
std::string UserById(const Model& m, const UserId& user) {
  std::string out;
  std::vector<std::string> activities;
  for (const auto& [a, stats] : m.activity_stats()) activities.push_back(a.str());
  std::sort(activities.begin(), activities.end());
  for (const std::string& a : activities) {
    std::vector<std::string> entries;
    for (const UserPlaceEntry& h : m.UserHistory(user, ActivityId(a))) {
      entries.push_back(a + "/" + m.IndexedId(h.place).str() + ":" + std::to_string(h.stat.visits) +
                        "," + std::to_string(h.stat.clicks) + "," + std::to_string(h.stat.last));
    }
    std::sort(entries.begin(), entries.end());
    for (const std::string& e : entries) out += e + " ";
  }
  if (const UserProfile* p = m.Profile(user)) {
    out += "| last=" + (p->last_place ? m.IndexedId(*p->last_place).str() : std::string("-"));
    out += " ts=" + std::to_string(p->last_ts) + " visits=" + std::to_string(p->visits) +
           " repeats=" + std::to_string(p->repeats) + " located=" + std::to_string(p->located) +
           " sum=" + std::to_string(p->sum_lat) + "," + std::to_string(p->sum_lon) + " recent=";
    for (uint32_t n : p->recent) out += m.IndexedId(n).str() + ",";
  }
  if (const FactorModel::PackedVector* v = m.UserFactor(user)) {
    out += " | bpr=";
    for (Eigen::Index i = 0; i < v->size(); ++i) out += std::to_string((*v)[i]) + ",";
  }
  return out;
}

// A model with enough places per activity that the load's threads (places and their
// activity lists and spatial indexes on one, the tables and their links on others) have
// work to interleave: 600 places over 3 activities (some listing two), 2000 events.
Model MakeBusyModel(MapState& state) {
  Model m = MakeModel();
  const char* activities[] = {"Coffee Shop", "Bar", "Gym"};
  for (int i = 0; i < 600; ++i) {
    std::vector<std::string> listed = {activities[i % 3]};
    if (i % 7 == 0) listed.emplace_back(activities[(i + 1) % 3]);
    char id[16];
    std::snprintf(id, sizeof id, "b%d", i);
    m.UpsertPlace(
        MakePlace(id, id, {40.70 + 0.0005 * (i % 40), -74.00 + 0.0005 * (i / 40)}, listed));
  }
  uint64_t r = 7;
  for (int i = 0; i < 2000; ++i) {
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
    char id[16], user[16], place[16];
    std::snprintf(id, sizeof id, "x%d", i);
    std::snprintf(user, sizeof user, "v%d", static_cast<int>((r >> 33) % 150));
    std::snprintf(place, sizeof place, "b%d", static_cast<int>((r >> 13) % 600));
    const EventType type = i % 3 == 0 ? EventType::kClick : EventType::kVisit;
    EXPECT_TRUE(m.Apply(MakeEvent(id, type, user, place, kT0 + i * 60'000)).ok()) << id;
  }
  m.DeletePlace(PlaceId("b5"));
  m.Persist(state);
  return m;
}

TEST(ModelPersistenceTest, UsersReadOnFirstUseAnswerAndInstallAsUsersReadAtOnce) {
  MapState state;
  Model original = MakeBusyModel(state);
  MapState a = state, b = state;
  Model at_once(ModelOptions{}), on_first_use(ModelOptions{});
  ASSERT_TRUE(at_once.Load(a).ok());
  ASSERT_TRUE(on_first_use.Load(b, Model::RowLoading::kOnFirstUse).ok());
  EXPECT_FALSE(at_once.users_pending());
  ASSERT_TRUE(on_first_use.users_pending());
  EXPECT_TRUE(on_first_use.users().empty()) << "left in the store";
  EXPECT_EQ(on_first_use.user_count(), at_once.user_count());
  EXPECT_EQ(at_once.user_count(), original.user_count());
  EXPECT_EQ(original.user_count(), 150);
  const LearnedScorer scorer;
  std::vector<UserId> users;
  for (int i = 0; i < 150; i += 7) users.emplace_back("v" + std::to_string(i));
  users.emplace_back("nobody");
  for (const UserId& user : users) {
    EXPECT_EQ(UserById(on_first_use, user), UserById(at_once, user)) << user.str();
    for (const char* text : {"coffee", "bar", "gym"}) {
      Query q;
      q.request_id = user.str() + "/" + text;
      q.activity_text = text;
      q.user = user;
      q.position = GeoPoint{40.71, -73.995};
      ExpectSameAnswer(Recommend(at_once, scorer, q, {}), Recommend(on_first_use, scorer, q, {}),
                       q.request_id);
    }
  }
  EXPECT_FALSE(UserById(at_once, UserId("v7")).empty());
  EXPECT_TRUE(on_first_use.users_pending()) << "answers read users without installing them";
  // In two steps, as the engine does it (the read beside answers, the install under the lock).
  Model::StoredUsers read;
  ASSERT_TRUE(on_first_use.ReadStoredUsers(read).ok());
  EXPECT_EQ(read.users.size(), 150u);
  EXPECT_TRUE(on_first_use.users_pending());
  on_first_use.InstallUsers(std::move(read));
  EXPECT_FALSE(on_first_use.users_pending());
  ASSERT_EQ(on_first_use.users().size(), at_once.users().size());
  for (const auto& [user, st] : at_once.users()) {
    EXPECT_EQ(UserById(on_first_use, user), UserById(at_once, user)) << user.str();
  }
  // Both go on alike: the same events, then the same writes and answers.
  for (Model* m : {&at_once, &on_first_use}) {
    ASSERT_TRUE(m->Apply(MakeEvent("n1", EventType::kVisit, "v3", "b10", kT0 + 9000'000)).ok());
    ASSERT_TRUE(m->Apply(MakeEvent("n2", EventType::kVisit, "new", "b11", kT0 + 9001'000)).ok());
  }
  a.TakeOps();
  b.TakeOps();
  at_once.Persist(a);
  on_first_use.Persist(b);
  EXPECT_TRUE(a.entries() == b.entries());
  EXPECT_EQ(on_first_use.user_count(), 151);
}

TEST(ModelPersistenceTest, AUserAnAnswerReadsWithoutAPlaceNumberedHasItOnceInstalled) {
  MapState state;
  MakeModelWithHistory(state);
  // u4 visited "gone", deleted since; here nothing but u4's history and profile names it
  // (no stats, profile or rows), so a load numbers it only with the users.
  for (Space space : kAllSpaces) {
    std::vector<std::string> naming;
    ASSERT_TRUE(state
                    .Scan(space,
                          [&](std::string_view key, std::string_view) {
                            if (space != Space::kUserHistory && space != Space::kProfiles &&
                                key.find("gone") != std::string_view::npos) {
                              naming.emplace_back(key);
                            }
                          })
                    .ok());
    for (const std::string& key : naming) state.Delete(space, key);
  }
  MapState a = state, b = state;
  Model at_once(ModelOptions{}), on_first_use(ModelOptions{});
  ASSERT_TRUE(at_once.Load(a).ok());
  ASSERT_TRUE(on_first_use.Load(b, Model::RowLoading::kOnFirstUse).ok());
  EXPECT_FALSE(on_first_use.PlaceNumber(PlaceId("gone")).has_value());
  EXPECT_THAT(UserById(at_once, UserId("u4")), HasSubstr("Coffee Shop/gone:1,0,"));
  EXPECT_THAT(UserById(at_once, UserId("u4")), HasSubstr("recent=gone,p2,"));
  EXPECT_THAT(UserById(on_first_use, UserId("u4")), ::testing::Not(HasSubstr("gone")))
      << "an answer numbers nothing: the entries are left out of what it reads";
  EXPECT_THAT(UserById(on_first_use, UserId("u4")), HasSubstr("recent=p2,"));
  ASSERT_TRUE(on_first_use.CompleteUsers().ok());
  EXPECT_TRUE(on_first_use.PlaceNumber(PlaceId("gone")).has_value());
  EXPECT_EQ(UserById(on_first_use, UserId("u4")), UserById(at_once, UserId("u4")));
}

TEST(ModelPersistenceTest, AUserThatCannotBeReadIsNotKeptAndCompletingFails) {
  MapState state;
  Model original = MakeBusyModel(state);
  const UserId user("v3");
  ASSERT_NE(original.UserFactor(user), nullptr);
  ASSERT_NE(original.Profile(user), nullptr);
  for (Space failing : {Space::kUserHistory, Space::kProfiles, Space::kLearned}) {
    SCOPED_TRACE(SpaceName(failing));
    FailingRowsReader reader(state);
    reader.spaces = {failing};
    Model loaded(ModelOptions{});
    ASSERT_TRUE(loaded.Load(reader, Model::RowLoading::kOnFirstUse).ok());
    reader.fail = true;
    EXPECT_TRUE(loaded.UserHistory(UserId("u1"), ActivityId("Coffee Shop")).empty()) << "not read";
    EXPECT_EQ(loaded.Profile(UserId("u1")), nullptr);
    EXPECT_EQ(loaded.UserFactor(UserId("u1")), nullptr);
    Query q;
    q.request_id = "r";
    q.activity_text = "coffee";
    q.user = user;
    EXPECT_TRUE(Recommend(loaded, LearnedScorer(), q, {}).ok) << "answers go on without the user";
    EXPECT_FALSE(loaded.CompleteUsers().ok());
    EXPECT_TRUE(loaded.users_pending());
    EXPECT_FALSE(loaded.Apply(MakeEvent("n1", EventType::kVisit, "u1", "p1", kT0 + 9 * kHour)).ok())
        << "a change waits for every user";
    reader.fail = false;
    EXPECT_EQ(UserById(loaded, user), UserById(original, user))
        << "read again once the store answers";
    EXPECT_THAT(UserById(original, user), HasSubstr("bpr="));
    ASSERT_TRUE(loaded.CompleteUsers().ok());
    EXPECT_FALSE(loaded.users_pending());
    EXPECT_EQ(UserById(loaded, UserId("v4")), UserById(original, UserId("v4")));
  }
}

TEST(ModelPersistenceTest, AStoreWithoutTheUsersCountHasItWrittenByTheNextPersist) {
  MapState state;
  MakeModelWithHistory(state);
  ASSERT_TRUE(state.Get(Space::kMeta, "users").has_value());
  state.Delete(Space::kMeta, "users");
  Model m(ModelOptions{});
  ASSERT_TRUE(m.Load(state, Model::RowLoading::kOnFirstUse).ok());
  EXPECT_FALSE(m.users_pending()) << "read at once: answers need the count";
  EXPECT_FALSE(m.user_count_stored());
  EXPECT_EQ(m.user_count(), 4);
  state.TakeOps();
  m.Persist(state);
  EXPECT_EQ(state.TakeOps().size(), 1u) << "the count, nothing else";
  EXPECT_EQ(state.Get(Space::kMeta, "users"), ByteWriter().I64(4).Take());
  Model again(ModelOptions{});
  ASSERT_TRUE(again.Load(state, Model::RowLoading::kOnFirstUse).ok());
  EXPECT_TRUE(again.users_pending());
  EXPECT_EQ(again.user_count(), 4);
}

std::vector<std::string> Strs(const std::vector<PlaceId>& ids) {
  std::vector<std::string> out;
  for (const PlaceId& id : ids) out.push_back(id.str());
  return out;
}

std::vector<std::string> Sorted(const std::vector<PlaceId>& ids) {
  std::vector<std::string> out;
  for (const PlaceId& id : ids) out.push_back(id.str());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Near(const Model& m, const ActivityId& a, bool sorted) {
  std::vector<const PlaceEntry*> near;
  m.NearPlaces(a, {40.71, -73.995}, 50, 5.0, near);
  std::vector<std::string> out;
  for (const PlaceEntry* e : near) out.push_back(e->id.str());
  if (sorted) std::sort(out.begin(), out.end());
  return out;
}

TEST(ModelPersistenceTest, LoadListsEveryActivitysPlacesAsLiveAndTheSameOnEveryLoad) {
  MapState state;
  const Model live = MakeBusyModel(state);
  Model first(ModelOptions{}), second(ModelOptions{});
  ASSERT_TRUE(first.Load(state).ok());
  ASSERT_TRUE(second.Load(state).ok());
  ASSERT_EQ(first.place_count(), live.place_count());
  for (const char* name : {"Coffee Shop", "Bar", "Gym"}) {
    const ActivityId a(name);
    // As the live model holds them (lists the live model keeps in arrival order may differ
    // in order). Not compared with live: TopPlaces, which a load recomputes in full where the
    // live model, after a listed place is deleted, holds one fewer until counts change.
    EXPECT_EQ(Sorted(first.PlacesFor(a)), Sorted(live.PlacesFor(a))) << name;
    EXPECT_EQ(Near(first, a, true), Near(live, a, true)) << name;
    ASSERT_NE(first.ActivePlacesFor(a), nullptr) << name;
    EXPECT_EQ(EntryIds(*first.ActivePlacesFor(a)), EntryIds(*live.ActivePlacesFor(a))) << name;
    EXPECT_EQ(first.resolver().Resolve(name, nullptr).activity, a) << name;
    // Every listed entry is the one its id finds.
    const std::vector<PlaceId> ids = first.PlacesFor(a);
    const std::vector<const PlaceEntry*>& entries = *first.ListedEntries(a);
    ASSERT_EQ(ids.size(), entries.size()) << name;
    for (size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(entries[i], first.FindPlace(ids[i])) << name << " " << ids[i].str();
    }
    // Two loads of one state are the same, orders and place numbers included, however their
    // threads ran.
    EXPECT_EQ(first.PlacesFor(a), second.PlacesFor(a)) << name;
    EXPECT_EQ(Strs(*first.TopPlaces(a)), Strs(*second.TopPlaces(a))) << name;
    EXPECT_EQ(Near(first, a, false), Near(second, a, false)) << name;
  }
  first.ForEachPlace([&](const PlaceEntry& entry) {
    const PlaceId& id = entry.id;
    const PlaceEntry* other = second.FindPlace(id);
    ASSERT_NE(other, nullptr) << id.str();
    EXPECT_EQ(entry.index, other->index) << id.str();
    EXPECT_EQ(entry.stats.size(), other->stats.size()) << id.str();
    EXPECT_EQ(entry.profile != nullptr, other->profile != nullptr) << id.str();
    EXPECT_EQ(entry.bpr != nullptr, other->bpr != nullptr) << id.str();
    EXPECT_EQ(entry.profile != nullptr, live.PlaceInfo(id) != nullptr) << id.str();
  });
}

TEST(ModelPersistenceTest, FindPlaceGivesTheListedEntryThroughDeletesReturnsAndALoad) {
  MapState state;
  Model live = MakeModelWithHistory(state);
  Model restored(ModelOptions{});
  ASSERT_TRUE(restored.Load(state).ok());
  for (int i = 0; i < 300; ++i) {
    const std::string id = "n" + std::to_string(i);
    for (Model* m : {&live, &restored}) {
      m->UpsertPlace(MakePlace(id, "New " + id, {40.7 + 0.001 * i, -74.0}, {"Coffee Shop"}));
      if (i % 3 == 0) m->DeletePlace(PlaceId(id));
      if (i % 6 == 0) m->UpsertPlace(MakePlace(id, "Back " + id, {40.7, -74.0}, {"Cafe"}));
    }
  }
  for (const Model* m : {&live, &restored}) {
    EXPECT_EQ(m->FindPlace(PlaceId("gone")), nullptr) << "deleted";
    EXPECT_EQ(m->FindPlace(PlaceId("never")), nullptr);
    size_t listed = 0;
    m->ForEachPlace([&](const PlaceEntry& entry) {
      EXPECT_EQ(m->FindPlace(entry.id), &entry) << entry.id.str();
      EXPECT_EQ(m->IndexedId(entry.index), entry.id) << entry.id.str();
      ++listed;
    });
    EXPECT_EQ(listed, m->place_count());
    // The listed entries of each activity are the entries its places' ids find, each once.
    for (const char* activity : {"Coffee Shop", "Cafe"}) {
      const std::vector<const PlaceEntry*>* entries = m->ListedEntries(ActivityId(activity));
      ASSERT_NE(entries, nullptr) << activity;
      std::set<const PlaceEntry*> seen;
      for (const PlaceEntry* entry : *entries) {
        EXPECT_EQ(entry, m->FindPlace(entry->id)) << activity << " " << entry->id.str();
        EXPECT_TRUE(entry->Lists(ActivityId(activity))) << activity << " " << entry->id.str();
        EXPECT_TRUE(seen.insert(entry).second) << activity << " " << entry->id.str();
      }
    }
    for (int i = 0; i < 300; ++i) {
      const PlaceEntry* p = m->FindPlace(PlaceId("n" + std::to_string(i)));
      if (i % 6 == 0) {
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->name, "Back n" + std::to_string(i));
      } else if (i % 3 == 0) {
        EXPECT_EQ(p, nullptr);
      } else {
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->name, "New n" + std::to_string(i));
      }
    }
  }
}

TEST(ModelPersistenceTest, DescribesAnEntryOfEverySpace) {
  Model m(ModelOptions{});
  m.UpsertPlace(
      MakePlace("p1", "Blue Bottle", {40.72, -74.0}, {"Coffee Shop", "Cafe"}, {"quiet", "wifi"}));
  ASSERT_TRUE(m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "p1", kT0, "Coffee Shop")).ok());
  ASSERT_TRUE(m.Apply(MakeEvent("e2", EventType::kClick, "u1", "p1", kT0, "Coffee Shop")).ok());
  MapState state;
  m.Persist(state);

  std::map<Space, std::vector<std::string>> lines;
  for (Space space : kAllSpaces) {
    ASSERT_TRUE(state
                    .Scan(space,
                          [&](std::string_view key, std::string_view value) {
                            lines[space].push_back(Model::DescribeEntry(space, key, value));
                          })
                    .ok());
    for (const std::string& line : lines[space]) {
      EXPECT_THAT(line, ::testing::StartsWith(std::string(SpaceName(space)) + " "));
      EXPECT_THAT(line, ::testing::Not(HasSubstr("<corrupt>")));
    }
  }
  EXPECT_THAT(lines[Space::kPlaces],
              ::testing::ElementsAre("places p1 name=Blue Bottle lat=40.72 lon=-74 "
                                     "activities=Coffee Shop|Cafe tags=quiet|wifi"));
  EXPECT_THAT(lines[Space::kActivityPlace],
              ::testing::ElementsAre("activity_place Coffee Shop | p1 visits=1 clicks=1 "
                                     "ratings=0 rating_sum=0 popularity=1.3@" +
                                     std::to_string(kT0) + " last=" + std::to_string(kT0)));
  EXPECT_THAT(lines[Space::kUserHistory],
              ::testing::ElementsAre("user_history u1 | Coffee Shop | p1 visits=1 clicks=1 last=" +
                                     std::to_string(kT0)));
  EXPECT_THAT(lines[Space::kMeta],
              ::testing::IsSupersetOf(std::vector<std::string>{
                  "meta events_applied 2", "meta newest_ts " + std::to_string(kT0)}));
}

TEST(ModelPersistenceTest, DescribesCorruptEntriesInsteadOfFailing) {
  EXPECT_EQ(Model::DescribeEntry(Space::kPlaces, "p1", "xx"), "places p1 <corrupt>");
  EXPECT_EQ(Model::DescribeEntry(Space::kActivityPlace, "xx", ""), "activity_place <corrupt>");
  EXPECT_EQ(Model::DescribeEntry(Space::kUserHistory, "", ""), "user_history <corrupt>");
  // A meta value that is not a number is not shown as one.
  const std::string meta = Model::DescribeEntry(Space::kMeta, "events_applied", "abc");
  EXPECT_THAT(meta, ::testing::StartsWith("meta events_applied"));
  EXPECT_THAT(meta, ::testing::Not(::testing::ContainsRegex("[0-9]")));
}

TEST(ModelPersistenceTest, LoadReportsACorruptEntry) {
  MapState state;
  state.Put(Space::kPlaces, "p1", "not a place");
  Model m(ModelOptions{});
  const Status s = m.Load(state);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("places"));
}

}  // namespace
}  // namespace locus

namespace locus {
namespace {

// A blend stored by a build with other features: weights carry over by feature name.
TEST(ModelPersistenceTest, BlendWeightsCarryOverByFeatureNameWhenTheFeatureSetChanges) {
  ByteWriter w;
  w.U64(1).Str("bias").F64(0.5).F64(2.0);
  w.U64(1).Str("own_log").F64(2.0).F64(3.0);
  w.U64(2).Str("pop_log").F64(3.0).F64(4.0).Str("a_retired_feature").F64(9.0).F64(9.0);
  w.I64(7).F64(1.5);
  MapState state;
  state.Put(Space::kLearned, "blend", w.Take());
  Model m(ModelOptions{});
  ASSERT_TRUE(m.Load(state).ok());
  const Blend prior;
  EXPECT_EQ(m.blend().gate.w[kGateBias], 0.5);
  EXPECT_EQ(m.blend().gate.g2[kGateBias], 2.0);
  EXPECT_EQ(m.blend().ret.w[0], 2.0);
  EXPECT_EQ(m.blend().explore.w[0], 3.0);
  EXPECT_EQ(m.blend().explore.w[3], prior.explore.w[3]) << "dist_log: not stored, prior kept";
  EXPECT_EQ(m.blend().steps, 7);
}

}  // namespace
}  // namespace locus

namespace locus {
namespace {

using test_support::kT0;
using test_support::MakeEvent;
using test_support::MakePlace;

// More places than the most-visited list holds, each visited a different number of times.
Model FullTopModel() {
  Model m(ModelOptions{});
  const size_t n = Model::kTopPlaces + 5;
  for (size_t i = 0; i < n; ++i) {
    const std::string id = "t" + std::to_string(1000 + i);
    m.UpsertPlace(MakePlace(id, id, {40.7 + 0.0001 * static_cast<double>(i), -74.0}, {"Cafe"}));
    for (size_t v = 0; v <= i % 40; ++v) {
      const std::string e = id + "-" + std::to_string(v);
      EXPECT_TRUE(m.Apply(MakeEvent(e, EventType::kVisit, "u" + std::to_string(v), id, kT0)).ok());
    }
  }
  return m;
}

TEST(ModelPersistenceTest, MostVisitedListsAfterDeletesAndRelistingsAreThoseALoadDerives) {
  Model m = FullTopModel();
  const ActivityId cafe("Cafe");
  ASSERT_EQ(m.TopPlaces(cafe)->size(), Model::kTopPlaces);
  // Places leave the full list (deleted, or relisted without the activity) and come back.
  const std::vector<PlaceId> top = *m.TopPlaces(cafe);
  m.DeletePlace(top[0]);
  m.DeletePlace(top[7]);
  m.UpsertPlace(MakePlace(top[3].str(), "now a bar", {40.7, -74.0}, {"Bar"}));
  m.UpsertPlace(MakePlace(top[7].str(), "back", {40.7, -74.0}, {"Cafe"}));
  MapState state;
  m.Persist(state);
  Model loaded(ModelOptions{});
  ASSERT_TRUE(loaded.Load(state).ok());
  ASSERT_NE(loaded.TopPlaces(cafe), nullptr);
  EXPECT_EQ(m.TopPlaces(cafe)->size(), Model::kTopPlaces);
  EXPECT_EQ(*m.TopPlaces(cafe), *loaded.TopPlaces(cafe));
}

}  // namespace
}  // namespace locus

namespace locus {
namespace {

// A history entry's counts are 4 bytes in memory: a stored count beyond them loads
// saturated, a negative one is corrupt, and counting stops at the largest.
TEST(ModelPersistenceTest, HistoryCountsSaturateOnLoadAndNegativeOnesAreCorrupt) {
  MapState state;
  Model m = MakeModel();
  m.UpsertPlace(MakePlace("p1", "Cafe", {40.7000, -74.0000}, {"Coffee Shop"}));
  m.Persist(state);
  const std::string key = ByteWriter().Str("u1").Str("Coffee Shop").Str("p1").Take();
  state.Put(Space::kUserHistory, key, ByteWriter().I64(int64_t{1} << 40).I64(3).I64(kT0).Take());
  Model loaded(ModelOptions{});
  ASSERT_TRUE(loaded.Load(state).ok());
  const UserPlaceStat* st = Mine(loaded, "u1", "Coffee Shop", "p1");
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->visits, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(st->clicks, 3u);
  EXPECT_EQ(st->last, kT0);

  UserPlaceStat counted = *st;
  counted.Count(EventType::kVisit);
  counted.Count(EventType::kClick);
  EXPECT_EQ(counted.visits, std::numeric_limits<uint32_t>::max());
  EXPECT_EQ(counted.clicks, 4u);

  state.Put(Space::kUserHistory, key, ByteWriter().I64(-1).I64(0).I64(kT0).Take());
  Model corrupt(ModelOptions{});
  const Status s = corrupt.Load(state);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("user_history"));
}

}  // namespace
}  // namespace locus

namespace locus {
namespace {

std::map<std::string, int64_t> CovisitsById(const Model& m, const std::string& place) {
  std::map<std::string, int64_t> out;
  const Model::PlaceCounts* row = m.CoVisits(PlaceId(place));
  if (row == nullptr) return out;
  for (size_t i = 0; i < row->size(); ++i) out[m.IndexedId(row->key(i)).str()] = row->count(i);
  return out;
}

// A popular place's co-visit row stays within its limit (plus a quarter): the entries counted
// once are cut, those counted more stay, the cut ones are written (as 0) so a load has the
// same row, and a restarted model (its places numbered otherwise) cuts as the live one does.
TEST(ModelPersistenceTest, CovisitRowsStayBoundedAndCutTheSameLiveAndRestored) {
  for (const Model::RowLoading loading : kRowLoadings) {
    SCOPED_TRACE(loading == Model::RowLoading::kAtOnce ? "rows at once" : "rows on first use");
    ModelOptions o;
    o.covisit_row_limit = 8;
    o.retrain_every_days = 0;
    Model live(o);
    std::vector<Place> places = {MakePlace("hub", "Hub", {40.70, -74.00}, {"Coffee Shop"}),
                                 MakePlace("pop", "Pop", {40.71, -74.00}, {"Coffee Shop"})};
    for (int i = 0; i < 60; ++i) {
      const std::string id = "x" + std::to_string(i);
      places.push_back(MakePlace(id, id, {40.70 + 0.001 * i, -74.01}, {"Coffee Shop"}));
    }
    // Listed in reverse, so a load (which numbers places in key order) renumbers them.
    for (auto it = places.rbegin(); it != places.rend(); ++it) live.UpsertPlace(*it);
    int n = 0;
    auto visit = [&](Model& m, int user) {
      const std::string u = "v" + std::to_string(user);
      for (const std::string& p :
           {std::string("pop"), "x" + std::to_string(user), std::string("hub")}) {
        ++n;
        ASSERT_TRUE(
            m.Apply(MakeEvent("e" + std::to_string(n), EventType::kVisit, u, p, kT0 + n * 60'000))
                .ok());
        if (const Model::PlaceCounts* row = m.CoVisits(PlaceId("hub"))) {
          EXPECT_LT(row->size(), o.covisit_row_limit + o.covisit_row_limit / 4);
        }
      }
    };
    for (int user = 0; user < 40; ++user) visit(live, user);
    MapState state;
    live.Persist(state);
    Model restored(o);
    ASSERT_TRUE(restored.Load(state, loading).ok());
    EXPECT_EQ(CovisitsById(live, "hub"), CovisitsById(restored, "hub"));
    const int saved = n;
    for (int user = 40; user < 60; ++user) visit(live, user);
    n = saved;
    for (int user = 40; user < 60; ++user) visit(restored, user);

    const std::map<std::string, int64_t> hub = CovisitsById(live, "hub");
    EXPECT_EQ(hub.at("pop"), 60);  // counted more: never cut
    EXPECT_GE(hub.size(), 2u);
    EXPECT_LE(hub.size(), 9u);
    for (const Place& p : places) {
      EXPECT_EQ(CovisitsById(live, p.id.str()), CovisitsById(restored, p.id.str())) << p.id.str();
    }
    // Rows below the limit are whole: pop's has hub and every x.
    EXPECT_EQ(CovisitsById(live, "x7").size(), 2u);
  }
}

}  // namespace
}  // namespace locus
