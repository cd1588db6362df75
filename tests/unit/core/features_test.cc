#include "src/core/features.h"

#include "src/core/llr.h"
#include "tests/unit/core/model_test_util.h"

#include <gtest/gtest.h>

#include <string>

namespace locus {
namespace {

using namespace test_support;

Features Of(const Model& m, const std::string& user, const std::string& place) {
  const FeatureContext c =
      MakeFeatureContext(m, ActivityId("Coffee Shop"), UserId(user), std::nullopt, m.newest_ts());
  return ComputeFeatures(c, *m.FindPlace(PlaceId(place)), std::nullopt);
}

TEST(FeaturesTest, RatingsRaiseWellRatedPlacesAndLowerBadlyRatedOnes) {
  Model m = MakeModel();
  int n = 0;
  for (double v : {9.0, 8.0, 10.0}) {
    Event e = MakeEvent("r" + std::to_string(n), EventType::kRating, "u" + std::to_string(n), "p1",
                        kT0 + n * kHour);
    e.value = v;
    ++n;
    ASSERT_TRUE(m.Apply(e).ok());
  }
  for (double v : {2.0, 3.0}) {
    Event e = MakeEvent("r" + std::to_string(n), EventType::kRating, "u" + std::to_string(n), "p2",
                        kT0 + n * kHour);
    e.value = v;
    ++n;
    ASSERT_TRUE(m.Apply(e).ok());
  }
  // Activity mean 32 / 5 = 6.4; p1 shrunk (27 + 3 * 6.4) / 6 = 7.7; p2 (5 + 19.2) / 5 = 4.84.
  EXPECT_NEAR(Of(m, "x", "p1")[kRating], 7.7 / 6.4 - 1, 1e-12);
  EXPECT_NEAR(Of(m, "x", "p2")[kRating], 4.84 / 6.4 - 1, 1e-12);
  EXPECT_EQ(Of(m, "x", "p3")[kRating], 0) << "no ratings: no evidence either way";
}

TEST(FeaturesTest, CoVisitationLlrScoresPlacesVisitedWithTheUsersRecentOnes) {
  Model m = MakeModel();
  int n = 0;
  auto visit = [&](const std::string& user, const std::string& place) {
    ASSERT_TRUE(
        m.Apply(MakeEvent("e" + std::to_string(n), EventType::kVisit, user, place, kT0 + n * kHour))
            .ok());
    ++n;
  };
  // Three users go to p1 then p2; two others only to p3. "me" has just been to p1.
  for (const char* u : {"a", "b", "c"}) {
    visit(u, "p1");
    visit(u, "p2");
  }
  visit("d", "p3");
  visit("e", "p3");
  visit("me", "p1");
  const Features p2 = Of(m, "me", "p2");
  const Features p3 = Of(m, "me", "p3");
  // p1 and p2: 3 users both, p1 4 users, p2 3 users, 6 users in all; one recent place.
  EXPECT_NEAR(p2[kCovisitLlr], std::log1p(CovisitLlr(3, 4, 3, 6)), 1e-12);
  EXPECT_GT(p2[kCovisitLlr], 0);
  EXPECT_EQ(p3[kCovisitLlr], 0);
}

}  // namespace
}  // namespace locus

namespace locus {
namespace {

TEST(FeaturesTest, TagsOfTheUsersOwnPlacesMakeANewPlaceWithThemAMatch) {
  Model m(ModelOptions{});
  m.UpsertPlace(
      test_support::MakePlace("known", "Known", {40.7, -74.0}, {"Coffee Shop"}, {"wifi", "quiet"}));
  m.UpsertPlace(test_support::MakePlace("new", "New", {40.7, -74.0}, {"Coffee Shop"},
                                        {"wifi", "vegan", "quiet", "patio"}));
  m.UpsertPlace(
      test_support::MakePlace("other", "Other", {40.7, -74.0}, {"Coffee Shop"}, {"loud"}));
  ASSERT_TRUE(
      m.Apply(test_support::MakeEvent("e1", EventType::kVisit, "me", "known", test_support::kT0))
          .ok());
  EXPECT_DOUBLE_EQ(Of(m, "me", "new")[kTagMatch], 0.5);  // wifi and quiet of four
  EXPECT_EQ(Of(m, "me", "other")[kTagMatch], 0);
  EXPECT_EQ(Of(m, "nobody", "new")[kTagMatch], 0);
}

}  // namespace
}  // namespace locus
