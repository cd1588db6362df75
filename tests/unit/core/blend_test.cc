#include "src/core/blend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace locus {
namespace {

Features Candidate(double own, double pop, double dist) {
  Features x{};
  x[kOwnLog] = std::log1p(own);
  x[kOwnAny] = own > 0 ? 1 : 0;
  x[kPopLog] = std::log1p(pop);
  x[kDistLog] = std::log1p(dist);
  x[kHasDist] = 1;
  return x;
}

GateFeatures Gate() {
  GateFeatures g{};
  g[kGateBias] = 1;
  return g;
}

TEST(BlendTest, AStepLowersTheLossOnTheQuestionJustSeen) {
  Blend b;
  const std::vector<Features> c = {Candidate(0, 50, 0.2), Candidate(0, 5, 3.0),
                                   Candidate(2, 10, 1.0), Candidate(0, 1, 0.5)};
  const double first = b.Train(c, Gate(), 3);  // an explore target
  Blend copy = b;
  const double second = copy.Train(c, Gate(), 3);
  EXPECT_LT(second, first);
}

TEST(BlendTest, ScoresAreLogProbabilitiesOfTheMixture) {
  Blend b;
  const std::vector<Features> c = {Candidate(3, 5, 1), Candidate(0, 50, 0.2), Candidate(0, 5, 3)};
  std::vector<double> s;
  b.Score(c, Gate(), s);
  double total = 0;
  for (double v : s) total += std::exp(v);
  EXPECT_NEAR(total, 1.0, 1e-9);
}

TEST(BlendTest, LearnsThatThisStreamReturnsToKnownPlaces) {
  Blend b;
  const std::vector<Features> c = {Candidate(1, 5, 1), Candidate(0, 50, 0.2),
                                   Candidate(0, 20, 0.3)};
  std::vector<double> before, after;
  b.Score(c, Gate(), before);
  for (int i = 0; i < 300; ++i) b.Train(c, Gate(), 0);
  b.Score(c, Gate(), after);
  EXPECT_GT(after[0], before[0]);
  EXPECT_GT(after[0], after[1]);
}

// The live engine leaves the far side's features unset (model.cc TrainBlend): a step must
// learn exactly the same from them, for a return and for a new place.
TEST(BlendTest, AStepReadsOnlyTheTargetsSideBesidesWhichSideEachIsOn) {
  const std::vector<Features> full = {Candidate(3, 5, 1), Candidate(0, 50, 0.2), Candidate(1, 8, 2),
                                      Candidate(0, 5, 3)};
  for (const size_t target : {size_t{0}, size_t{1}}) {
    const bool own = full[target][kOwnAny] > 0;
    std::vector<Features> sparse = full;
    for (Features& x : sparse) {
      if ((x[kOwnAny] > 0) == own) continue;
      x = Features{};
      x[kOwnAny] = own ? 0 : 1;
    }
    Blend a, b;
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(a.Train(full, Gate(), target, 0.7), b.Train(sparse, Gate(), target, 0.7));
    }
    EXPECT_EQ(a.gate.w, b.gate.w) << "target " << target;
    EXPECT_EQ(a.ret.w, b.ret.w) << "target " << target;
    EXPECT_EQ(a.explore.w, b.explore.w) << "target " << target;
    // The steps did move the target side's expert.
    const bool moved = own ? a.ret.w != Blend().ret.w : a.explore.w != Blend().explore.w;
    EXPECT_TRUE(moved) << "target " << target;
  }
}

}  // namespace
}  // namespace locus

namespace locus {
namespace {

// Every feature has a distinct name (they key the stored weights) and each expert lists each
// feature at most once: a list shorter than its array would silently repeat feature 0.
TEST(BlendTest, FeatureNamesAndExpertListsAreComplete) {
  std::set<std::string> names;
  for (const char* n : kFeatureNames) {
    ASSERT_NE(n, nullptr);
    names.insert(n);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kNumFeatures));
  std::set<std::string> gate;
  for (const char* n : kGateFeatureNames) {
    ASSERT_NE(n, nullptr);
    gate.insert(n);
  }
  EXPECT_EQ(gate.size(), static_cast<size_t>(kNumGateFeatures));
  const std::set<Feature> ret(Blend::kReturnFeatures.begin(), Blend::kReturnFeatures.end());
  EXPECT_EQ(ret.size(), Blend::kReturnSize);
  const std::set<Feature> explore(Blend::kExploreFeatures.begin(), Blend::kExploreFeatures.end());
  EXPECT_EQ(explore.size(), Blend::kExploreSize);
}

}  // namespace
}  // namespace locus
