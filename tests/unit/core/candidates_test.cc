#include "src/core/geo.h"
#include "src/core/recommend.h"
#include "tests/unit/core/map_state.h"
#include "tests/unit/core/model_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace locus {
namespace {

using namespace test_support;

bool Has(const std::vector<PlaceId>& v, const std::string& id) {
  return std::find(v.begin(), v.end(), PlaceId(id)) != v.end();
}

// 400 coffee shops on a 20 x 20 grid, 1.1 km apart; "c0_0" is the south-west corner.
class CandidatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 20; ++i) {
      for (int j = 0; j < 20; ++j) {
        m_.UpsertPlace(
            MakePlace(Id(i, j), "Cafe", {40.5 + 0.01 * i, -74.2 + 0.013 * j}, {"Coffee Shop"}));
      }
    }
    options_.full_scan_limit = 100;
    options_.near_candidates = 20;
  }
  static std::string Id(int i, int j) { return "c" + std::to_string(i) + "_" + std::to_string(j); }
  void Visit(const std::string& user, const std::string& place) {
    ASSERT_TRUE(
        m_.Apply(MakeEvent("e" + std::to_string(n_), EventType::kVisit, user, place, kT0 + n_))
            .ok());
    ++n_;
  }
  std::vector<PlaceId> Gather(const Query& q) {
    std::vector<PlaceId> ids;
    for (const Candidate& c : GatherCandidates(m_, ActivityId("Coffee Shop"), q, options_)) {
      ids.push_back(c.place->id);
    }
    return ids;
  }

  Model m_{ModelOptions{}};
  RecommendOptions options_;
  int n_ = 0;
};

TEST_F(CandidatesTest, SmallActivitiesAreScoredInFull) {
  options_.full_scan_limit = 1000;
  Query q;
  EXPECT_EQ(Gather(q).size(), 400u);
}

TEST_F(CandidatesTest, LargeActivitiesGiveNearPopularOwnAndCoVisitedPlaces) {
  // Popular: c19_19 (5 visits by others). Own: "me" went to c10_0 then c0_19.
  for (int k = 0; k < 5; ++k) Visit("fan" + std::to_string(k), Id(19, 19));
  // Someone else who went to c0_19 also went to c5_5: a co-visited place.
  Visit("other", Id(0, 19));
  Visit("other", Id(5, 5));
  Visit("me", Id(10, 0));
  Visit("me", Id(0, 19));
  Query q;
  q.activity_text = "coffee";
  q.user = UserId("me");
  q.position = GeoPoint{40.5, -74.2};  // at c0_0
  const std::vector<PlaceId> c = Gather(q);
  EXPECT_LT(c.size(), 100u) << "not a full scan";
  EXPECT_TRUE(Has(c, Id(0, 0))) << "nearest";
  EXPECT_TRUE(Has(c, Id(1, 1))) << "near";
  EXPECT_TRUE(Has(c, Id(19, 19))) << "most visited";
  EXPECT_TRUE(Has(c, Id(10, 0))) << "own";
  EXPECT_TRUE(Has(c, Id(5, 5))) << "co-visited with a recent place";
  EXPECT_FALSE(Has(c, Id(12, 12))) << "far, unvisited, unrelated";
  EXPECT_TRUE(std::is_sorted(c.begin(), c.end()));
  EXPECT_EQ(std::adjacent_find(c.begin(), c.end()), c.end()) << "each once";
}

TEST_F(CandidatesTest, NearCandidatesAreTheNearestByExactDistanceAndNoMore) {
  // The index hands back whole rings of cells; only the nearest `near_candidates` are kept.
  options_.near_candidates = 5;
  Query q;
  q.activity_text = "coffee";
  q.position = GeoPoint{40.5 + 0.01 * 10.2, -74.2 + 0.013 * 9.7};  // inside the grid
  const std::vector<PlaceId> c = Gather(q);
  ASSERT_EQ(c.size(), 5u) << "no history: the near places are all there is";
  std::vector<std::pair<double, std::string>> all;
  for (int i = 0; i < 20; ++i) {
    for (int j = 0; j < 20; ++j) {
      all.emplace_back(HaversineKm(*q.position, GeoPoint{40.5 + 0.01 * i, -74.2 + 0.013 * j}),
                       Id(i, j));
    }
  }
  std::sort(all.begin(), all.end());
  for (size_t k = 0; k < 5; ++k) EXPECT_TRUE(Has(c, all[k].second)) << all[k].second;
}

TEST_F(CandidatesTest, TheMostVisitedListFollowsTheCountsAndSurvivesARestore) {
  Visit("a", Id(3, 3));
  Visit("b", Id(4, 4));
  Visit("c", Id(4, 4));
  const std::vector<PlaceId>* top = m_.TopPlaces(ActivityId("Coffee Shop"));
  ASSERT_NE(top, nullptr);
  ASSERT_EQ(top->size(), 2u);
  EXPECT_EQ((*top)[0], PlaceId(Id(4, 4)));
  EXPECT_EQ((*top)[1], PlaceId(Id(3, 3)));
  Visit("d", Id(3, 3));
  Visit("e", Id(3, 3));
  EXPECT_EQ((*m_.TopPlaces(ActivityId("Coffee Shop")))[0], PlaceId(Id(3, 3)));
  MapState state;
  m_.Persist(state);
  Model restored{ModelOptions{}};
  ASSERT_TRUE(restored.Load(state).ok());
  ASSERT_NE(restored.TopPlaces(ActivityId("Coffee Shop")), nullptr);
  EXPECT_EQ(*restored.TopPlaces(ActivityId("Coffee Shop")),
            *m_.TopPlaces(ActivityId("Coffee Shop")));
  std::vector<const PlaceEntry*> near;
  restored.NearPlaces(ActivityId("Coffee Shop"), {40.5, -74.2}, 1, 5, near);
  ASSERT_FALSE(near.empty());
  EXPECT_EQ(near.front(), restored.FindPlace(PlaceId(Id(0, 0))))
      << "the spatial index is rebuilt from the places";
}

}  // namespace
}  // namespace locus
