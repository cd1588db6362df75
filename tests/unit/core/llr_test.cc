#include "src/core/llr.h"

#include <gtest/gtest.h>

#include <cmath>

namespace locus {
namespace {

// G^2 = 2 * sum k ln(k N / (row col)) written out by hand for the table (10, 5 / 3, 82):
// N = 100, rows 15 and 85, columns 13 and 87.
TEST(LlrTest, MatchesTheTextbookFormulaOnAKnownTable) {
  const double by_hand =
      2 * (10 * std::log(10 * 100.0 / (15 * 13)) + 5 * std::log(5 * 100.0 / (15 * 87)) +
           3 * std::log(3 * 100.0 / (85 * 13)) + 82 * std::log(82 * 100.0 / (85 * 87)));
  EXPECT_NEAR(LogLikelihoodRatio(10, 5, 3, 82), by_hand, 1e-9);
  EXPECT_NEAR(LogLikelihoodRatio(10, 5, 3, 82), 32.2248328888, 1e-8);
}

TEST(LlrTest, PerfectAssociationOfTwoEventsIsFourLnTwo) {
  EXPECT_NEAR(LogLikelihoodRatio(1, 0, 0, 1), 4 * std::log(2.0), 1e-12);
  // Ten times the evidence, ten times the statistic.
  EXPECT_NEAR(LogLikelihoodRatio(10, 0, 0, 10), 40 * std::log(2.0), 1e-10);
}

TEST(LlrTest, IndependenceScoresZero) {
  // 2 * 72 == 8 * 18: the second is as likely with the first as without it.
  EXPECT_NEAR(LogLikelihoodRatio(2, 8, 18, 72), 0, 1e-9);
  EXPECT_EQ(PositiveLlr(2, 8, 18, 72), 0);
}

TEST(LlrTest, RareButExclusiveCoOccurrenceIsSurprising) {
  EXPECT_NEAR(LogLikelihoodRatio(5, 1995, 0, 100000), 39.3305216549, 1e-8);
}

TEST(LlrTest, OnlyAttractionIsPositive) {
  // Co-occurring less than chance: a large G^2, but no neighbour.
  EXPECT_GT(LogLikelihoodRatio(0, 50, 50, 0), 10);
  EXPECT_EQ(PositiveLlr(0, 50, 50, 0), 0);
  EXPECT_GT(PositiveLlr(50, 0, 0, 50), 10);
}

TEST(LlrTest, CovisitTableFromUserCounts) {
  // 10 users went to both, 15 to a, 13 to b, 100 users in all: the table (10, 5 / 3, 82).
  EXPECT_NEAR(CovisitLlr(10, 15, 13, 100), LogLikelihoodRatio(10, 5, 3, 82), 1e-12);
  // A popular place co-visited only as often as its popularity predicts is no neighbour.
  EXPECT_EQ(CovisitLlr(9, 10, 90, 100), 0);
  // Inconsistent counts (as in a partial restore) never produce NaN or negatives.
  const double odd = CovisitLlr(5, 2, 1, 3);
  EXPECT_TRUE(std::isfinite(odd));
  EXPECT_GE(odd, 0);
}

}  // namespace
}  // namespace locus
