#include "src/core/model.h"

#include "src/core/recommend.h"
#include "tests/unit/core/map_state.h"
#include "tests/unit/core/model_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace locus {
namespace {

using test_support::Ids;
using test_support::kHour;
using test_support::kT0;
using test_support::Lists;
using test_support::MakeEvent;
using test_support::MakeModel;
using test_support::MakePlace;
using test_support::MapState;
using test_support::Mine;
using test_support::Stat;
using ::testing::HasSubstr;

TEST(ModelTest, UpsertPlaceMakesThePlaceAndItsActivitiesKnown) {
  const Model m = MakeModel();
  EXPECT_EQ(m.place_count(), 4u);
  ASSERT_NE(m.FindPlace(PlaceId("p3")), nullptr);
  EXPECT_EQ(m.FindPlace(PlaceId("p3"))->name, "Corner");
  EXPECT_TRUE(Lists(m.PlacesFor(ActivityId("Coffee Shop")), "p3"));
  EXPECT_TRUE(Lists(m.PlacesFor(ActivityId("Bar")), "p3"));
  EXPECT_EQ(m.resolver().Resolve("bars", {}).activity, ActivityId("Bar"));
}

TEST(ModelTest, UpsertingAPlaceAgainReplacesItsActivityLinks) {
  Model m = MakeModel();
  m.UpsertPlace(MakePlace("p3", "Corner Bar", {40.7400, -74.0200}, {"Bar"}));
  EXPECT_EQ(m.place_count(), 4u);
  EXPECT_EQ(m.FindPlace(PlaceId("p3"))->name, "Corner Bar");
  EXPECT_FALSE(Lists(m.PlacesFor(ActivityId("Coffee Shop")), "p3"));
  EXPECT_TRUE(Lists(m.PlacesFor(ActivityId("Bar")), "p3"));
  const std::vector<PlaceId> bars = m.PlacesFor(ActivityId("Bar"));
  EXPECT_EQ(std::count(bars.begin(), bars.end(), PlaceId("p3")), 1);
}

TEST(ModelTest, ApplyRejectsAnUnknownPlaceWithNothingChanged) {
  Model m = MakeModel();
  MapState state;
  m.Persist(state);
  state.TakeOps();

  const Status s =
      m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "nowhere", kT0, std::string("Coffee Shop")));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("nowhere"));
  EXPECT_EQ(m.events_applied(), 0);
  EXPECT_EQ(m.newest_ts(), 0);
  EXPECT_EQ(m.StatsFor(ActivityId("Coffee Shop")), nullptr);
  EXPECT_TRUE(m.users().empty());
  EXPECT_EQ(m.Profile(UserId("u1")), nullptr);
  EXPECT_EQ(m.FindPlace(PlaceId("nowhere")), nullptr);
  EXPECT_EQ(m.ActivityPopularity(ActivityId("Coffee Shop")), 0.0);
  m.Persist(state);
  EXPECT_TRUE(state.TakeOps().empty());
}

TEST(ModelTest, CountsVisitsAndClicksIntoPopularityAndUserHistory) {
  Model m = MakeModel();
  ASSERT_TRUE(m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "p1", kT0)).ok());
  ASSERT_TRUE(m.Apply(MakeEvent("e2", EventType::kVisit, "u1", "p1", kT0)).ok());
  ASSERT_TRUE(m.Apply(MakeEvent("e3", EventType::kClick, "u1", "p1", kT0)).ok());
  ASSERT_TRUE(m.Apply(MakeEvent("e4", EventType::kVisit, "u2", "p1", kT0 - kHour)).ok());

  const ActivityPlaceStat* s = Stat(m, "Coffee Shop", "p1");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->visits, 3);
  EXPECT_EQ(s->clicks, 1);
  EXPECT_EQ(s->ratings, 0);
  EXPECT_EQ(s->last, kT0);
  const double hour_factor = DecayedValue::Factor(kHour, m.half_life_ms());
  EXPECT_NEAR(s->popularity.At(kT0, m.half_life_ms()), 1.0 + 1.0 + 0.3 + hour_factor, 1e-12);

  const UserPlaceStat* u1 = Mine(m, "u1", "Coffee Shop", "p1");
  ASSERT_NE(u1, nullptr);
  EXPECT_EQ(u1->visits, 2);
  EXPECT_EQ(u1->clicks, 1);
  EXPECT_EQ(u1->last, kT0);
  const UserPlaceStat* u2 = Mine(m, "u2", "Coffee Shop", "p1");
  ASSERT_NE(u2, nullptr);
  EXPECT_EQ(u2->visits, 1);
  EXPECT_EQ(u2->last, kT0 - kHour);
  EXPECT_EQ(Mine(m, "u2", "Coffee Shop", "p2"), nullptr);

  EXPECT_EQ(m.events_applied(), 4);
  EXPECT_EQ(m.newest_ts(), kT0);
  EXPECT_EQ(m.ActivityPopularity(ActivityId("Coffee Shop")), 4.0);
  EXPECT_EQ(m.ActivityPopularity(ActivityId("Gym")), 0.0);
}

TEST(ModelTest, EventWithoutActivityCountsForEveryActivityOfThePlace) {
  Model m = MakeModel();
  ASSERT_TRUE(m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "p3", kT0)).ok());
  ASSERT_NE(Stat(m, "Coffee Shop", "p3"), nullptr);
  ASSERT_NE(Stat(m, "Bar", "p3"), nullptr);
  EXPECT_EQ(Stat(m, "Coffee Shop", "p3")->visits, 1);
  EXPECT_EQ(Stat(m, "Bar", "p3")->visits, 1);
  EXPECT_NE(Mine(m, "u1", "Bar", "p3"), nullptr);
}

TEST(ModelTest, EventWithItsOwnActivityCountsOnlyForThatActivity) {
  Model m = MakeModel();
  ASSERT_TRUE(m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "p3", kT0, "Bar")).ok());
  EXPECT_EQ(Stat(m, "Bar", "p3")->visits, 1);
  EXPECT_EQ(Stat(m, "Coffee Shop", "p3"), nullptr);
}

TEST(ModelTest, EventWithAnActivityThePlaceDoesNotListLinksThePlaceToIt) {
  Model m = MakeModel();
  MapState state;
  m.Persist(state);
  state.TakeOps();
  ASSERT_TRUE(
      m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "g1", kT0, std::string("Yoga Studio")))
          .ok());
  const Place* g1 = m.FindPlace(PlaceId("g1"));
  ASSERT_NE(g1, nullptr);
  EXPECT_THAT(g1->activities, ::testing::ElementsAre(ActivityId("Gym"), ActivityId("Yoga Studio")));
  EXPECT_TRUE(Lists(m.PlacesFor(ActivityId("Yoga Studio")), "g1"));
  EXPECT_EQ(m.resolver().Resolve("yoga studios", {}).activity, ActivityId("Yoga Studio"));
  ASSERT_NE(Stat(m, "Yoga Studio", "g1"), nullptr);
  EXPECT_EQ(Stat(m, "Gym", "g1"), nullptr);
  // The new link is durable: the place is written again.
  m.Persist(state);
  ASSERT_TRUE(state.Get(Space::kPlaces, "g1").has_value());
  EXPECT_THAT(Model::DescribeEntry(Space::kPlaces, "g1", *state.Get(Space::kPlaces, "g1")),
              HasSubstr("activities=Gym|Yoga Studio"));
  // A second event does not link it twice.
  ASSERT_TRUE(
      m.Apply(MakeEvent("e2", EventType::kVisit, "u2", "g1", kT0, std::string("Yoga Studio")))
          .ok());
  EXPECT_EQ(m.FindPlace(PlaceId("g1"))->activities.size(), 2u);
  EXPECT_EQ(m.PlacesFor(ActivityId("Yoga Studio")).size(), 1u);
}

TEST(ModelTest, RatingsAreCountedButAddNoPopularityOrHistory) {
  Model m = MakeModel();
  Event rating = MakeEvent("r1", EventType::kRating, "u1", "p2", kT0);
  rating.value = 8.5;
  ASSERT_TRUE(m.Apply(rating).ok());
  const ActivityPlaceStat* s = Stat(m, "Coffee Shop", "p2");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->ratings, 1);
  EXPECT_DOUBLE_EQ(s->rating_sum, 8.5);
  EXPECT_EQ(s->visits + s->clicks, 0);
  EXPECT_EQ(s->popularity.At(kT0, m.half_life_ms()), 0.0);
  EXPECT_EQ(Mine(m, "u1", "Coffee Shop", "p2"), nullptr);
}

TEST(ModelTest, CountsRejectedInputsByReason) {
  Model m = MakeModel();
  m.CountRejected("invalid_json");
  m.CountRejected("invalid_json");
  m.CountRejected("schema");
  EXPECT_EQ(m.rejected().at("invalid_json"), 2);
  EXPECT_EQ(m.rejected().at("schema"), 1);
}

TEST(ModelTest, DeletePlaceRemovesItFromCandidates) {
  Model m = MakeModel();
  ASSERT_TRUE(m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "p1", kT0)).ok());
  const BaselineScorer scorer;
  Query q;
  q.request_id = "r";
  q.activity_text = "coffee";
  q.user = UserId("u1");
  EXPECT_THAT(Ids(Recommend(m, scorer, q, {})), ::testing::Contains("p1"));

  m.DeletePlace(PlaceId("p1"));
  EXPECT_EQ(m.FindPlace(PlaceId("p1")), nullptr);
  EXPECT_EQ(m.place_count(), 3u);
  EXPECT_FALSE(Lists(m.PlacesFor(ActivityId("Coffee Shop")), "p1"));
  const Answer a = Recommend(m, scorer, q, {});
  EXPECT_TRUE(a.ok);
  EXPECT_THAT(Ids(a), ::testing::UnorderedElementsAre("p2", "p3"));
  EXPECT_THAT(Ids(Recommend(m, LearnedScorer(), q, {})),
              ::testing::UnorderedElementsAre("p2", "p3"));
  // Events for it are now rejected; deleting twice is harmless.
  EXPECT_FALSE(m.Apply(MakeEvent("e2", EventType::kVisit, "u1", "p1", kT0)).ok());
  m.DeletePlace(PlaceId("p1"));
  EXPECT_EQ(m.place_count(), 3u);
}

}  // namespace
}  // namespace locus

namespace locus {
namespace {

// Steps of the blend after `events` visits that could each teach it (two known coffee shops).
int64_t BlendStepsAfter(int64_t blend_full_events, int events) {
  ModelOptions o;
  o.blend_full_events = blend_full_events;
  o.retrain_every_days = 0;
  Model m(o);
  m.UpsertPlace(test_support::MakePlace("a", "A", {40.72, -74.0}, {"Coffee Shop"}));
  m.UpsertPlace(test_support::MakePlace("b", "B", {40.73, -74.0}, {"Coffee Shop"}));
  for (int i = 0; i < events; ++i) {
    const Event e = test_support::MakeEvent("e" + std::to_string(i), EventType::kVisit,
                                            "u" + std::to_string(i % 7), i % 3 ? "a" : "b",
                                            test_support::kT0 + i * 60'000);
    EXPECT_TRUE(m.Apply(e).ok());
  }
  return m.blend().steps;
}

TEST(ModelTest, TheBlendLearnsFromEveryEventFirstThenFromAShrinkingSample) {
  // Every event but the two first visits of a place (nothing known to compare with).
  const int64_t all = BlendStepsAfter(0, 2000);
  EXPECT_GE(all, 1990);
  // 100 in full, then share 100/n: about 100 * (1 + ln 20) = 400 steps in all.
  const int64_t sampled = BlendStepsAfter(100, 2000);
  EXPECT_GT(sampled, 250);
  EXPECT_LT(sampled, 550);
  // The sample is a function of the events alone.
  EXPECT_EQ(BlendStepsAfter(100, 2000), sampled);
}

}  // namespace
}  // namespace locus
