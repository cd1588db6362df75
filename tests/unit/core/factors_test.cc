#include "src/core/factors.h"

#include <gtest/gtest.h>

#include <cmath>

namespace locus {
namespace {

// BPR loss of `user` preferring `place` over `other`: -log sigmoid(u·p - u·o).
double BprLoss(const FactorModel& m, const UserId& u, const PlaceId& p, const PlaceId& o) {
  const double x = m.Score(u, p) - m.Score(u, o);
  return std::log1p(std::exp(-x));
}

TEST(FactorModelTest, AnUpdateLowersTheLossOnTheEventJustSeen) {
  FactorModel m;
  const UserId u("u1");
  const PlaceId p("cafe"), o("bar");
  m.Observe(u, p, {&o});  // creates the vectors with their seeded starting values
  const double before = BprLoss(m, u, p, o);
  m.Observe(u, p, {&o});
  EXPECT_LT(BprLoss(m, u, p, o), before);
}

TEST(FactorModelTest, RepeatedVisitsRankThePlaceAboveTheNegative) {
  FactorModel m;
  const UserId u("u1");
  const PlaceId p("cafe"), o("bar");
  for (int i = 0; i < 200; ++i) m.Observe(u, p, {&o});
  EXPECT_GT(m.Score(u, p), m.Score(u, o));
}

TEST(FactorModelTest, StartingVectorsDependOnlyOnTheIds) {
  FactorModel a, b;
  const PlaceId p("cafe"), o("bar");
  a.Observe(UserId("u1"), p, {&o});
  b.Observe(UserId("u1"), p, {&o});
  EXPECT_EQ(a.Score(UserId("u1"), p), b.Score(UserId("u1"), p));
  EXPECT_EQ(a.Score(UserId("u2"), p), 0.0) << "unknown users score 0";
}

TEST(FactorModelTest, VectorsRoundTripThroughBytes) {
  FactorModel m;
  const PlaceId p("cafe"), o("bar");
  m.Observe(UserId("u1"), p, {&o});
  const FactorModel::PackedVector& v = m.places().at(p);
  FactorModel::Vector back;
  ASSERT_TRUE(FactorModel::Decode(FactorModel::Encode(v), back));
  EXPECT_EQ(back, v);
  EXPECT_FALSE(FactorModel::Decode("short", back));
}

}  // namespace
}  // namespace locus
