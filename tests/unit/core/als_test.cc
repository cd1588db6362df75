#include "src/core/als.h"

#include "src/core/model.h"
#include "tests/unit/core/model_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace locus {
namespace {

using namespace test_support;

// Two taste groups: users 0-9 go to places a0-a4, users 10-19 to b0-b4, each to most of them.
Interactions TwoGroups() {
  Interactions d;
  for (int u = 0; u < 20; ++u) d.users.emplace_back("u" + std::to_string(u));
  for (const char* g : {"a", "b"}) {
    for (int p = 0; p < 5; ++p) d.places.emplace_back(std::string(g) + std::to_string(p));
  }
  for (uint32_t u = 0; u < 20; ++u) {
    const uint32_t group = u < 10 ? 0 : 5;
    for (uint32_t p = 0; p < 5; ++p) {
      if ((u + p) % 5 == 0) continue;  // everyone misses one place of their group
      d.pairs.push_back({u, group + p, static_cast<float>(1 + (u + p) % 3)});
    }
  }
  return d;
}

AlsOptions Small() {
  AlsOptions o;
  o.factors = 4;
  o.iterations = 10;
  return o;
}

TEST(AlsTest, EveryIterationLowersTheTrainingLoss) {
  std::vector<double> loss;
  AlsModel::Train(TwoGroups(), Small(), "t", &loss);
  ASSERT_EQ(loss.size(), 10u);
  for (size_t i = 1; i < loss.size(); ++i) EXPECT_LE(loss[i], loss[i - 1] * (1 + 1e-4)) << i;
  EXPECT_LT(loss.back(), loss.front());
}

TEST(AlsTest, AFoldedInUserPrefersTheUnvisitedPlaceOfTheirOwnGroup) {
  const auto m = AlsModel::Train(TwoGroups(), Small(), "als-test");
  EXPECT_EQ(m->version(), "als-test");
  // A new user who went to a1..a4 (not a0) should like a0 far more than any b place.
  const auto x = m->FoldIn({{PlaceId("a1"), 2}, {PlaceId("a2"), 1}, {PlaceId("a3"), 1}});
  ASSERT_TRUE(x.has_value());
  auto score = [&](const char* id) {
    return x->dot(Eigen::Map<const AlsModel::Vector>(m->PlaceVector(PlaceId(id)), 4));
  };
  for (const char* b : {"b0", "b1", "b2", "b3", "b4"}) EXPECT_GT(score("a0"), score(b)) << b;
  EXPECT_FALSE(m->FoldIn({{PlaceId("unknown"), 3}}).has_value());
}

TEST(AlsTest, ResultDoesNotDependOnInputOrderOrThreads) {
  Interactions d = TwoGroups();
  const auto a = AlsModel::Train(d, Small(), "t");
  // The same data listed backwards, trained on two threads.
  Interactions r;
  for (size_t i = d.users.size(); i-- > 0;) r.users.push_back(d.users[i]);
  for (size_t i = d.places.size(); i-- > 0;) r.places.push_back(d.places[i]);
  const auto n_users = static_cast<uint32_t>(d.users.size());
  const auto n_places = static_cast<uint32_t>(d.places.size());
  for (auto it = d.pairs.rbegin(); it != d.pairs.rend(); ++it) {
    r.pairs.push_back({n_users - 1 - it->user, n_places - 1 - it->place, it->count});
  }
  AlsOptions two = Small();
  two.threads = 2;
  const auto b = AlsModel::Train(r, two, "t");
  for (const PlaceId& p : d.places) {
    const Eigen::Map<const AlsModel::Vector> va(a->PlaceVector(p), 4), vb(b->PlaceVector(p), 4);
    EXPECT_EQ(va, vb) << p.str();
  }
}

TEST(AlsTest, StoredPlaceVectorsRestoreTheSameFoldIn) {
  const auto m = AlsModel::Train(TwoGroups(), Small(), "v1");
  std::vector<std::pair<PlaceId, AlsModel::Vector>> stored;
  for (const PlaceId& p : m->place_ids()) {
    AlsModel::Vector v;
    ASSERT_TRUE(AlsModel::DecodeVector(AlsModel::EncodeVector(m->PlaceVector(p), 4), v));
    stored.emplace_back(p, v);
  }
  std::reverse(stored.begin(), stored.end());
  const auto back = AlsModel::FromPlaces("v1", Small(), stored);
  const std::vector<std::pair<PlaceId, double>> history = {{PlaceId("b2"), 3}, {PlaceId("a1"), 1}};
  EXPECT_EQ(*m->FoldIn(history), *back->FoldIn(history));
}

// The model's schedule: a retrain starts at the first event of a new UTC day and is installed
// at the first event an hour (of event time) later; answers then carry its version.
TEST(AlsTest, ModelRetrainsDailyAndInstallsAtAFixedPointInEventTime) {
  ModelOptions options;
  options.als.factors = 4;
  Model m(options);
  m.UpsertPlace(MakePlace("p1", "One", {40.70, -74.0}, {"Coffee Shop"}));
  m.UpsertPlace(MakePlace("p2", "Two", {40.71, -74.0}, {"Coffee Shop"}));
  // kT0 is 18:00:09 UTC; the day ends 6 hours later.
  ASSERT_TRUE(m.Apply(MakeEvent("e1", EventType::kVisit, "u1", "p1", kT0)).ok());
  ASSERT_TRUE(m.Apply(MakeEvent("e2", EventType::kVisit, "u2", "p2", kT0 + kHour)).ok());
  EXPECT_EQ(m.als(), nullptr);
  ASSERT_TRUE(m.Apply(MakeEvent("e3", EventType::kVisit, "u1", "p2", kT0 + 6 * kHour)).ok());
  EXPECT_EQ(m.als(), nullptr) << "started at midnight, installed only an hour later";
  ASSERT_TRUE(m.Apply(MakeEvent("e4", EventType::kVisit, "u2", "p1", kT0 + 7 * kHour)).ok());
  ASSERT_NE(m.als(), nullptr);
  EXPECT_EQ(m.als()->version(), "als-20120404T0000");
  // Trained on what came before midnight: u1 at p1, u2 at p2 (not e3).
  EXPECT_EQ(m.als()->place_count(), 2u);
}

}  // namespace
}  // namespace locus
