#include "src/core/factors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace locus {
namespace {

using Vec = FactorModel::PackedVector;

// BPR loss of user `u` preferring place `p` over place `o`: -log sigmoid(u·p - u·o).
double BprLoss(const Vec& u, const Vec& p, const Vec& o) {
  const double x = u.dot(p) - u.dot(o);
  return std::log1p(std::exp(-x));
}

struct Three {
  Vec u = FactorModel::UserStart(UserId("u1"));
  Vec p = FactorModel::PlaceStart(PlaceId("cafe"));
  Vec o = FactorModel::PlaceStart(PlaceId("bar"));
};

TEST(FactorModelTest, AnUpdateLowersTheLossOnTheEventJustSeen) {
  Three t;
  const double before = BprLoss(t.u, t.p, t.o);
  FactorModel::Observe(t.u, t.p, {&t.o});
  EXPECT_LT(BprLoss(t.u, t.p, t.o), before);
}

TEST(FactorModelTest, RepeatedVisitsRankThePlaceAboveTheNegative) {
  Three t;
  for (int i = 0; i < 200; ++i) FactorModel::Observe(t.u, t.p, {&t.o});
  EXPECT_GT(t.u.dot(t.p), t.u.dot(t.o));
}

TEST(FactorModelTest, ThePlaceItselfAmongTheNegativesIsSkipped) {
  Three t;
  const Three before;
  FactorModel::Observe(t.u, t.p, {&t.p});
  EXPECT_EQ(t.u, before.u);
  EXPECT_EQ(t.p, before.p);
}

TEST(FactorModelTest, StartingVectorsDependOnlyOnTheIds) {
  EXPECT_EQ(FactorModel::PlaceStart(PlaceId("cafe")), FactorModel::PlaceStart(PlaceId("cafe")));
  EXPECT_NE(FactorModel::PlaceStart(PlaceId("cafe")), FactorModel::PlaceStart(PlaceId("bar")));
  EXPECT_EQ(FactorModel::UserStart(UserId("u1")), FactorModel::UserStart(UserId("u1")));
  EXPECT_NE(FactorModel::UserStart(UserId("u1")), FactorModel::UserStart(UserId("u2")));
}

TEST(FactorModelTest, PlaceVectorsByNumberStartOnceAndStayPut) {
  FactorModel m;
  EXPECT_EQ(m.Place(3), nullptr);
  Vec& v = m.PlaceOrStart(3, PlaceId("cafe"));
  EXPECT_EQ(v, FactorModel::PlaceStart(PlaceId("cafe")));
  v[0] = 7;
  // Later numbers do not move it, and asking again gives the same vector, not a new start.
  for (uint32_t n = 4; n < 5000; ++n) m.PlaceOrStart(n, PlaceId("p" + std::to_string(n)));
  EXPECT_EQ(&m.PlaceOrStart(3, PlaceId("cafe")), &v);
  EXPECT_EQ(m.Place(3), &v);
  EXPECT_EQ(v[0], 7);
  EXPECT_EQ(m.Place(2), nullptr) << "numbers below stay without a vector";
  uint32_t visited = 0, first = 0;
  m.ForEachPlace([&](uint32_t n, const Vec&) {
    if (visited++ == 0) first = n;
  });
  EXPECT_EQ(visited, 4997u);
  EXPECT_EQ(first, 3u);
}

TEST(FactorModelTest, VectorsKeptBeforeTheirNumbersGoToThePlacesAssigned) {
  // A load keeps vectors in the store's order and numbers them later, in another order.
  FactorModel m;
  std::vector<uint32_t> kept;
  for (int i = 0; i < 3000; ++i) {
    Vec v = Vec::Constant(static_cast<float>(i));
    kept.push_back(m.Keep(v));
  }
  std::vector<const Vec*> at;
  for (uint32_t i = 0; i < 3000; ++i) at.push_back(&m.Assign(2 * (2999 - i), kept[i]));
  for (uint32_t i = 0; i < 3000; ++i) {
    const uint32_t n = 2 * (2999 - i);
    const Vec* got = m.Place(n);
    EXPECT_TRUE(got != nullptr && got == at[i] && (*got)[0] == static_cast<float>(i)) << n;
    EXPECT_TRUE(m.Place(n + 1) == nullptr) << "odd numbers were given no vector: " << n + 1;
  }
  // A vector started later does not move the kept ones, and PlaceOrStart keeps what is there.
  const Vec& started = m.PlaceOrStart(7001, PlaceId("new"));
  EXPECT_TRUE(started == FactorModel::PlaceStart(PlaceId("new")));
  EXPECT_TRUE(&m.PlaceOrStart(0, PlaceId("ignored")) == at[2999]);
  EXPECT_TRUE(at[0]->isConstant(0.0f));
  std::vector<uint32_t> numbers;
  m.ForEachPlace([&](uint32_t n, const Vec&) { numbers.push_back(n); });
  ASSERT_EQ(numbers.size(), 3001u);
  EXPECT_TRUE(std::is_sorted(numbers.begin(), numbers.end()));
  EXPECT_EQ(numbers.back(), 7001u);
}

TEST(FactorModelTest, VectorsRoundTripThroughBytes) {
  const Vec v = FactorModel::PlaceStart(PlaceId("cafe"));
  FactorModel::Vector back;
  std::string bytes = "longer than a vector's bytes, to be replaced: " + std::string(200, 'x');
  FactorModel::Encode(v, bytes);
  ASSERT_TRUE(FactorModel::Decode(bytes, back));
  EXPECT_EQ(back, v);
  EXPECT_FALSE(FactorModel::Decode("short", back));
}

}  // namespace
}  // namespace locus
