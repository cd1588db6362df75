#include "src/core/recommend.h"

#include "src/core/geo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace locus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr TimeMs kT0 = 1'333'476'009'000;  // 2012-04-03T18:00:09Z
constexpr TimeMs kMinute = 60'000;

// Coffee shops along a meridian, about 1.1 km apart per 0.01 degree of latitude.
constexpr GeoPoint kHere{40.7000, -74.0000};

Place MakePlace(const std::string& id, double lat, std::vector<std::string> activities) {
  Place p;
  p.id = PlaceId(id);
  p.name = "Place " + id;
  p.position = {lat, -74.0000};
  for (std::string& a : activities) p.activities.emplace_back(std::move(a));
  return p;
}

class RecommendTest : public ::testing::Test {
 protected:
  RecommendTest() : model_(ModelOptions{}) {}

  void Add(const std::string& id, double lat,
           std::vector<std::string> activities = {"Coffee Shop"}) {
    model_.UpsertPlace(MakePlace(id, lat, std::move(activities)));
  }
  void Events(EventType type, const std::string& user, const std::string& place, int n) {
    for (int i = 0; i < n; ++i) {
      Event e;
      e.event_id = "e" + std::to_string(++events_);
      e.type = type;
      e.user = UserId(user);
      e.place = PlaceId(place);
      e.ts = kT0 + events_ * kMinute;
      ASSERT_TRUE(model_.Apply(e).ok());
    }
  }
  Query MakeQuery(const std::string& text) const {
    Query q;
    q.request_id = "req-1";
    q.activity_text = text;
    return q;
  }
  Answer Ask(const Query& q, const Scorer& scorer) const {
    return Recommend(model_, scorer, q, options_);
  }
  Answer Ask(const Query& q) const { return Ask(q, baseline_); }

  static std::vector<std::string> Ids(const Answer& a) {
    std::vector<std::string> ids;
    for (const ScoredPlace& s : a.items) ids.push_back(s.place.str());
    return ids;
  }

  Model model_;
  RecommendOptions options_;
  BaselineScorer baseline_;
  LearnedScorer learned_;
  int events_ = 0;
};

TEST_F(RecommendTest, UnknownActivityAnswersWithSuggestionsAndAnErrorNamingTheText) {
  Add("c1", 40.70);
  Add("b1", 40.71, {"Bar"});
  Add("w1", 40.72, {"Wine Bar"});
  const Answer a = Ask(MakeQuery("karaoke night"));
  EXPECT_FALSE(a.ok);
  EXPECT_EQ(a.request_id, "req-1");
  EXPECT_EQ(a.activity, "karaoke night");
  EXPECT_THAT(a.error, HasSubstr("karaoke night"));
  EXPECT_TRUE(a.items.empty());
  ASSERT_FALSE(a.suggestions.empty());
  EXPECT_LE(a.suggestions.size(), 5u);
  EXPECT_THAT(a.error, HasSubstr(a.suggestions.front()));
}

TEST_F(RecommendTest, UnknownActivityOnAnEmptyModelSaysNothingIsKnownYet) {
  const Answer a = Ask(MakeQuery("coffee"));
  EXPECT_FALSE(a.ok);
  EXPECT_TRUE(a.suggestions.empty());
  EXPECT_THAT(a.error, HasSubstr("coffee"));
  EXPECT_THAT(a.error, HasSubstr("no activities are known"));
}

TEST_F(RecommendTest, AnswersWithTheResolvedActivityAndModelVersion) {
  Add("c1", 40.70);
  options_.model_version = "test-7";
  const Answer a = Ask(MakeQuery("coffee shops"));
  EXPECT_TRUE(a.ok);
  EXPECT_EQ(a.activity, "Coffee Shop");
  EXPECT_EQ(a.model_version, "test-7");
  EXPECT_EQ(a.request_id, "req-1");
  EXPECT_TRUE(a.error.empty());
  EXPECT_THAT(Ids(a), ElementsAre("c1"));
  EXPECT_EQ(a.items[0].name, "Place c1");
}

TEST_F(RecommendTest, OnlyPlacesOfTheActivityAreCandidates) {
  Add("c1", 40.70);
  Add("b1", 40.71, {"Bar"});
  Add("cb", 40.72, {"Bar", "Coffee Shop"});
  EXPECT_THAT(Ids(Ask(MakeQuery("bar"))), ::testing::UnorderedElementsAre("b1", "cb"));
  EXPECT_THAT(Ids(Ask(MakeQuery("coffee"))), ::testing::UnorderedElementsAre("c1", "cb"));
}

TEST_F(RecommendTest, PopularPlacesRankFirst) {
  Add("c1", 40.70);
  Add("c2", 40.70);
  Add("c3", 40.70);
  Events(EventType::kVisit, "a", "c2", 5);
  Events(EventType::kVisit, "b", "c3", 2);
  EXPECT_THAT(Ids(Ask(MakeQuery("coffee"))), ElementsAre("c2", "c3", "c1"));
}

TEST_F(RecommendTest, OwnHistoryOutranksPopularityForThatUser) {
  Add("popular", 40.70);
  Add("mine", 40.70);
  for (const char* user : {"a", "b", "c", "d", "e"}) Events(EventType::kVisit, user, "popular", 1);
  Events(EventType::kVisit, "me", "mine", 2);
  Query q = MakeQuery("coffee");
  q.user = UserId("me");
  const Answer a = Ask(q);
  EXPECT_THAT(Ids(a), ElementsAre("mine", "popular"));
  EXPECT_THAT(a.items[0].reasons, ::testing::Contains("you have been here 2 times"));
  // Everybody else still gets the popular place first.
  q.user = UserId("someone else");
  EXPECT_THAT(Ids(Ask(q)), ElementsAre("popular", "mine"));
  q.user.reset();
  EXPECT_THAT(Ids(Ask(q)), ElementsAre("popular", "mine"));
}

TEST_F(RecommendTest, NearerPlacesOutrankEquallyPopularFarOnes) {
  Add("near", 40.7010);
  Add("far", 40.7900);
  Events(EventType::kVisit, "a", "near", 3);
  Events(EventType::kVisit, "b", "far", 3);
  Query q = MakeQuery("coffee");
  q.position = kHere;
  Answer a = Ask(q);
  ASSERT_THAT(Ids(a), ElementsAre("near", "far"));
  ASSERT_TRUE(a.items[0].distance_km.has_value());
  EXPECT_NEAR(*a.items[0].distance_km, HaversineKm(kHere, {40.7010, -74.0}), 1e-9);
  EXPECT_GT(a.items[0].score, a.items[1].score);
  // Standing near the other one turns the order round.
  q.position = GeoPoint{40.7900, -74.0000};
  EXPECT_THAT(Ids(Ask(q)), ElementsAre("far", "near"));
}

TEST_F(RecommendTest, RadiusFiltersOutPlacesFartherAway) {
  Add("c1", 40.7010);  // ~0.1 km
  Add("c2", 40.7300);  // ~3.3 km
  Add("c3", 40.7900);  // ~10 km
  Events(EventType::kVisit, "a", "c3", 10);
  Query q = MakeQuery("coffee");
  q.position = kHere;
  q.radius_km = 5;
  const Answer a = Ask(q);
  EXPECT_THAT(Ids(a), ::testing::UnorderedElementsAre("c1", "c2"));
  for (const ScoredPlace& s : a.items) {
    ASSERT_TRUE(s.distance_km.has_value());
    EXPECT_LE(*s.distance_km, 5.0);
  }
  q.radius_km = 0.05;
  EXPECT_TRUE(Ask(q).items.empty());
  EXPECT_TRUE(Ask(q).ok);
  // A radius without a position cannot filter anything.
  q.position.reset();
  EXPECT_EQ(Ask(q).items.size(), 3u);
}

TEST_F(RecommendTest, ExcludedPlacesAreLeftOut) {
  Add("c1", 40.70);
  Add("c2", 40.70);
  Add("c3", 40.70);
  Events(EventType::kVisit, "a", "c1", 5);
  Query q = MakeQuery("coffee");
  q.exclude = {PlaceId("c1"), PlaceId("unknown")};
  EXPECT_THAT(Ids(Ask(q)), ElementsAre("c2", "c3"));
  EXPECT_THAT(Ids(Ask(q, learned_)), ::testing::UnorderedElementsAre("c2", "c3"));
}

TEST_F(RecommendTest, KLimitsTheItemsWithinItsBounds) {
  for (int i = 0; i < 15; ++i) Add("c" + std::to_string(100 + i), 40.70);
  Query q = MakeQuery("coffee");
  EXPECT_EQ(Ask(q).items.size(), 10u) << "default k";
  options_.default_k = 4;
  EXPECT_EQ(Ask(q).items.size(), 4u) << "configured default k";
  q.k = 3;
  EXPECT_EQ(Ask(q).items.size(), 3u);
  q.k = 1000;
  EXPECT_EQ(Ask(q).items.size(), 15u) << "k larger than the candidates";
  options_.max_k = 12;
  EXPECT_EQ(Ask(q).items.size(), 12u) << "k above max_k";
  q.k = 0;
  EXPECT_EQ(Ask(q).items.size(), 1u) << "k below 1";
  q.k = -5;
  EXPECT_EQ(Ask(q).items.size(), 1u) << "negative k";
}

TEST_F(RecommendTest, TiesAreBrokenByPlaceId) {
  for (const char* id : {"t3", "t1", "t5", "t2", "t4"}) Add(id, 40.70);
  Query q = MakeQuery("coffee");
  for (const Scorer* scorer : std::vector<const Scorer*>{&baseline_, &learned_}) {
    Answer a = Ask(q, *scorer);
    EXPECT_THAT(Ids(a), ElementsAre("t1", "t2", "t3", "t4", "t5"));
    for (const ScoredPlace& s : a.items) EXPECT_EQ(s.score, a.items[0].score);
    q.k = 2;
    EXPECT_THAT(Ids(Ask(q, *scorer)), ElementsAre("t1", "t2"));
    q.k.reset();
  }
}

TEST_F(RecommendTest, EveryItemHasAReasonAndADistanceOnlyWithAPosition) {
  Add("c1", 40.7010);
  Add("c2", 40.7300);
  Add("c3", 40.7900);
  Events(EventType::kVisit, "me", "c1", 2);
  Events(EventType::kClick, "a", "c2", 1);
  for (const Scorer* scorer : std::vector<const Scorer*>{&baseline_, &learned_}) {
    for (const bool with_position : {false, true}) {
      Query q = MakeQuery("coffee");
      q.user = UserId("me");
      if (with_position) q.position = kHere;
      const Answer a = Ask(q, *scorer);
      ASSERT_EQ(a.items.size(), 3u);
      for (const ScoredPlace& s : a.items) {
        EXPECT_FALSE(s.reasons.empty()) << s.place.str();
        for (const std::string& r : s.reasons) EXPECT_FALSE(r.empty());
        EXPECT_EQ(s.distance_km.has_value(), with_position) << s.place.str();
        if (with_position) {
          EXPECT_THAT(s.reasons, ::testing::Contains(::testing::HasSubstr("km away")));
        }
      }
    }
  }
}

TEST_F(RecommendTest, ScoresAreSortedBestFirst) {
  for (int i = 0; i < 8; ++i) {
    Add("c" + std::to_string(i), 40.70 + 0.01 * i);
    Events(EventType::kVisit, "u" + std::to_string(i), "c" + std::to_string(i), (i * 5) % 7);
  }
  Query q = MakeQuery("coffee");
  q.position = kHere;
  for (const Scorer* scorer : std::vector<const Scorer*>{&baseline_, &learned_}) {
    const Answer a = Ask(q, *scorer);
    ASSERT_EQ(a.items.size(), 8u);
    for (size_t i = 1; i < a.items.size(); ++i) {
      EXPECT_GE(a.items[i - 1].score, a.items[i].score);
    }
  }
}

TEST_F(RecommendTest, LearnedScorerAlsoPutsTheUsersOwnPlaceFirst) {
  Add("popular", 40.70);
  Add("mine", 40.70);
  for (const char* user : {"a", "b", "c", "d", "e"}) Events(EventType::kVisit, user, "popular", 1);
  Events(EventType::kVisit, "me", "mine", 3);
  Query q = MakeQuery("coffee");
  q.user = UserId("me");
  EXPECT_THAT(Ids(Ask(q, learned_)), ElementsAre("mine", "popular"));
  q.user.reset();
  EXPECT_THAT(Ids(Ask(q, learned_)), ElementsAre("popular", "mine"));
}

}  // namespace
}  // namespace locus
