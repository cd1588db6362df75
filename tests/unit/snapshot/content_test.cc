#include "snapshot/content.h"

#include "src/core/bytes.h"
#include "src/core/decay.h"
#include "tests/unit/core/map_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace locus::snapshot {
namespace {

using test_support::MapState;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr TimeMs kT0 = 1'700'000'000'000;
constexpr TimeMs kDay = 86'400'000;

Place MakePlace(const std::string& id, const std::string& name,
                std::vector<std::string> activities) {
  Place p;
  p.id = PlaceId(id);
  p.name = name;
  p.position = {40.7, -73.9};
  for (auto& a : activities) p.activities.emplace_back(std::move(a));
  return p;
}

Event Visit(const std::string& user, const std::string& place, TimeMs ts) {
  Event e;
  e.event_id = user + "-" + place + "-" + std::to_string(ts);
  e.type = EventType::kVisit;
  e.user = UserId(user);
  e.place = PlaceId(place);
  e.ts = ts;
  return e;
}

// A small city: three coffee places and a bar, four users.
class SnapshotContentTest : public ::testing::Test {
 protected:
  SnapshotContentTest() : model_(ModelOptions{}) {
    model_.UpsertPlace(MakePlace("c1", "Café \"Nero\"", {"Coffee Shop"}));
    model_.UpsertPlace(MakePlace("c2", "Back\\slash", {"Coffee Shop"}));
    model_.UpsertPlace(MakePlace("c3", "Three", {"Coffee Shop"}));
    model_.UpsertPlace(MakePlace("b1", "The Bar", {"Bar"}));
    // c1: three visits 60 days before the rest; c2: two recent visits; c3: one recent visit.
    // With a 30-day half-life c1 is worth 3/4 of a fresh visit: c2 (2) > c3 (1) > c1 (0.75).
    Apply(Visit("u1", "c1", kT0));
    Apply(Visit("u2", "c1", kT0 + 1));
    Apply(Visit("u3", "c1", kT0 + 2));
    Apply(Visit("u1", "c2", kT0 + 60 * kDay));
    Apply(Visit("u2", "c2", kT0 + 60 * kDay + 1));
    Apply(Visit("u4", "c3", kT0 + 60 * kDay + 2));
    Apply(Visit("u4", "b1", kT0 + 60 * kDay + 3));
    Apply(Visit("u4", "b1", kT0 + 60 * kDay + 4));
    Persist();
  }

  void Apply(const Event& e) { ASSERT_TRUE(model_.Apply(e).ok()); }
  void Persist() { model_.Persist(state_); }

  SnapshotContent Build(const ContentOptions& options = {}) {
    auto c = BuildContent(state_, options);
    EXPECT_TRUE(c.ok()) << c.error();
    return c.ok() ? *c : SnapshotContent{};
  }

  Model model_;
  MapState state_;
};

TEST_F(SnapshotContentTest, RanksPlacesByDecayedPopularityAtTheNewestEvent) {
  const SnapshotContent c = Build();
  std::vector<std::string> coffee;
  for (const ScoreRow& r : c.scores) {
    if (r.activity == "Coffee Shop") coffee.push_back(std::to_string(r.rank) + ":" + r.place_id);
  }
  EXPECT_THAT(coffee, ElementsAre("1:c2", "2:c3", "3:c1"));

  const double half_life = 30 * kMsPerDay;
  const auto& stats = *model_.StatsFor(ActivityId("Coffee Shop"));
  for (const ScoreRow& r : c.scores) {
    if (r.activity != "Coffee Shop") continue;
    const ActivityPlaceStat& st = stats.at(PlaceId(r.place_id));
    EXPECT_DOUBLE_EQ(r.score, st.popularity.At(model_.newest_ts(), half_life)) << r.place_id;
    EXPECT_EQ(r.visits, st.visits);
    EXPECT_EQ(r.last_event, st.last);
  }
  EXPECT_EQ(c.state_ts, kT0 + 60 * kDay + 4);
  EXPECT_EQ(c.events_applied, 8);
}

TEST_F(SnapshotContentTest, KeepsOnlyTheTopNAndBreaksTiesByPlaceId) {
  ContentOptions o;
  o.top_n = 2;
  const SnapshotContent c = Build(o);
  int coffee = 0;
  for (const ScoreRow& r : c.scores) coffee += r.activity == "Coffee Shop";
  EXPECT_EQ(coffee, 2);

  // Two places with identical histories: the smaller id ranks first.
  Model m{ModelOptions{}};
  m.UpsertPlace(MakePlace("zz", "Z", {"Gym"}));
  m.UpsertPlace(MakePlace("aa", "A", {"Gym"}));
  ASSERT_TRUE(m.Apply(Visit("u", "zz", kT0)).ok());
  ASSERT_TRUE(m.Apply(Visit("v", "aa", kT0)).ok());
  MapState s;
  m.Persist(s);
  auto tied = BuildContent(s, {});
  ASSERT_TRUE(tied.ok());
  ASSERT_EQ(tied->scores.size(), 2u);
  EXPECT_EQ(tied->scores[0].place_id, "aa");
  EXPECT_EQ(tied->scores[1].place_id, "zz");
}

TEST_F(SnapshotContentTest, SameStateGivesTheSameRowsAndHash) {
  const SnapshotContent a = Build();
  const SnapshotContent b = Build();
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.hash.size(), 16u);
  EXPECT_EQ(a.RowCount(), b.RowCount());
  ASSERT_EQ(a.places.size(), b.places.size());
  for (size_t i = 0; i < a.places.size(); ++i)
    EXPECT_EQ(a.places[i].place_id, b.places[i].place_id);

  Apply(Visit("u3", "c3", kT0 + 61 * kDay));
  Persist();
  EXPECT_NE(Build().hash, a.hash);
}

TEST_F(SnapshotContentTest, ExportsUsersOnlyAsAggregatesUnlessAskedTo) {
  const SnapshotContent c = Build();
  EXPECT_TRUE(c.user_places.empty());
  EXPECT_EQ(c.users, 4);
  // No user id in any exported text.
  std::string all;
  for (const auto& r : c.places) all += r.place_id + r.name + r.activities_json + r.tags_json;
  for (const auto& r : c.scores) all += r.activity + r.place_id;
  for (const auto& r : c.neighbours) all += r.place_id + r.neighbour_id;
  for (const auto& r : c.user_stats) all += r.activity;
  for (const auto& r : c.engine_stats) all += r.name;
  for (const auto& r : c.leaders) all += r.place_id + r.name;
  for (const char* user : {"u1", "u2", "u3", "u4"}) EXPECT_THAT(all, Not(HasSubstr(user)));

  ASSERT_EQ(c.user_stats.size(), 2u);
  const UserActivityRow& bar = c.user_stats[0];
  EXPECT_EQ(bar.activity, "Bar");
  EXPECT_EQ(bar.users, 1);
  EXPECT_EQ(bar.visits, 2);
  EXPECT_EQ(bar.returning_users, 1);
  const UserActivityRow& coffee = c.user_stats[1];
  EXPECT_EQ(coffee.users, 4);
  EXPECT_EQ(coffee.visits, 6);
  EXPECT_EQ(coffee.user_place_pairs, 6);
  EXPECT_EQ(coffee.returning_users, 0);
  EXPECT_DOUBLE_EQ(coffee.visits_per_user, 1.5);

  ContentOptions o;
  o.export_user_rows = true;
  const SnapshotContent with_users = Build(o);
  ASSERT_EQ(with_users.user_places.size(), 7u);
  EXPECT_EQ(with_users.user_places[0].user_id, "u1");
  EXPECT_EQ(with_users.user_places.back().user_id, "u4");
  EXPECT_NE(with_users.hash, c.hash);
}

TEST_F(SnapshotContentTest, CountsPlacesActivitiesAndEngineStats) {
  const SnapshotContent c = Build();
  ASSERT_EQ(c.places.size(), 4u);
  EXPECT_EQ(c.places[0].place_id, "b1");  // sorted by id
  EXPECT_EQ(c.places[0].visits, 2);
  EXPECT_EQ(c.places[0].users, 1);
  EXPECT_EQ(c.places[1].place_id, "c1");
  EXPECT_EQ(c.places[1].name, "Café \"Nero\"");
  EXPECT_EQ(c.places[1].activities_json, "[\"Coffee Shop\"]");
  EXPECT_EQ(c.places[1].users, 3);
  ASSERT_EQ(c.activities.size(), 2u);
  EXPECT_EQ(c.activities[1].activity, "Coffee Shop");
  EXPECT_EQ(c.activities[1].places, 3);
  EXPECT_EQ(c.activities[1].visits, 6);
  EXPECT_EQ(c.activities[1].users, 4);

  auto stat = [&](const std::string& name) {
    for (const auto& r : c.engine_stats) {
      if (r.name == name) return r.value;
    }
    return -1.0;
  };
  EXPECT_EQ(stat("events_applied"), 8);
  EXPECT_EQ(stat("places"), 4);
  EXPECT_EQ(stat("users"), 4);
  EXPECT_EQ(stat("activities"), 2);
}

TEST_F(SnapshotContentTest, ListsCoVisitedNeighboursSharedByEnoughUsers) {
  ContentOptions o;
  o.min_neighbour_users = 2;
  const SnapshotContent c = Build(o);
  // u1 and u2 both visited c1 and c2; everything else shares at most one user.
  std::vector<std::string> pairs;
  for (const NeighbourRow& r : c.neighbours) {
    pairs.push_back(r.place_id + ">" + r.neighbour_id + ":" + std::to_string(r.users));
  }
  EXPECT_THAT(pairs, ElementsAre("c1>c2:2", "c2>c1:2"));
  // cosine: 2 / sqrt(3 users * 2 users)
  EXPECT_DOUBLE_EQ(c.neighbours[0].score, 2 / std::sqrt(6.0));
}

TEST_F(SnapshotContentTest, NamesTheDaysLeadersAndReadsSourceOffsets) {
  state_.Put(Space::kMeta, "offset/locus.events/3", ByteWriter().I64(42).bytes());
  state_.Put(Space::kMeta, "offset/locus.places/0", ByteWriter().I64(7).bytes());
  ContentOptions o;
  o.leaders_per_day = 2;
  const SnapshotContent c = Build(o);
  ASSERT_EQ(c.offsets.size(), 2u);
  EXPECT_EQ(c.offsets[0].topic, "locus.events");
  EXPECT_EQ(c.offsets[0].partition, 3);
  EXPECT_EQ(c.offsets[0].next_offset, 42);
  EXPECT_EQ(c.offsets[1].topic, "locus.places");

  std::vector<std::string> leaders;
  for (const LeaderRow& r : c.leaders) {
    leaders.push_back(r.activity + "#" + std::to_string(r.rank) + "=" + r.name);
  }
  EXPECT_THAT(leaders,
              ElementsAre("Bar#1=The Bar", "Coffee Shop#1=Back\\slash", "Coffee Shop#2=Three"));
}

TEST_F(SnapshotContentTest, AnEmptyStateGivesAnEmptySnapshot) {
  MapState empty;
  auto c = BuildContent(empty, {});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->places.empty());
  EXPECT_TRUE(c->scores.empty());
  EXPECT_TRUE(c->leaders.empty());
  EXPECT_EQ(c->state_ts, 0);
  EXPECT_FALSE(c->engine_stats.empty());
}

TEST_F(SnapshotContentTest, MakesNamesValidUtf8AndSkipsIdsThatAreNot) {
  Model m{ModelOptions{}};
  m.UpsertPlace(MakePlace("ok", std::string("bad \xff byte"), {"Gym"}));
  m.UpsertPlace(MakePlace(std::string("id\xfe"), "Fine", {"Gym"}));
  MapState s;
  m.Persist(s);
  auto c = BuildContent(s, {});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->places.size(), 1u);
  EXPECT_EQ(c->places[0].name, "bad \xEF\xBF\xBD byte");  // U+FFFD
  EXPECT_EQ(c->skipped, 1);
}

TEST(JsonStringArrayTest, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonStringArray({}), "[]");
  EXPECT_EQ(JsonStringArray({"a\"b", "c\\d", std::string("e\nf\x01"), "Café 🧗"}),
            "[\"a\\\"b\",\"c\\\\d\",\"e\\u000af\\u0001\",\"Café 🧗\"]");
}

}  // namespace
}  // namespace locus::snapshot

namespace locus::snapshot {
namespace {

// The learned blend is part of what analysts see: its weights, by name, in engine_stats.
TEST_F(SnapshotContentTest, ExportsTheLearnedBlendWeightsByName) {
  ASSERT_GT(model_.blend().steps, 0);
  const SnapshotContent c = Build();
  std::map<std::string, double> stats;
  for (const auto& r : c.engine_stats) stats[r.name] = r.value;
  EXPECT_EQ(stats.at("blend.steps"), static_cast<double>(model_.blend().steps));
  EXPECT_EQ(stats.at("blend.gate.bias"), model_.blend().gate.w[kGateBias]);
  EXPECT_EQ(stats.at("blend.explore.dist_log"), model_.blend().explore.w[3]);
  EXPECT_TRUE(stats.contains("blend.return.own_log"));
}

}  // namespace
}  // namespace locus::snapshot
