#include "src/core/decay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace locus {
namespace {

constexpr double kHalfLife = 30 * kMsPerDay;
constexpr TimeMs kHalfLifeMs = static_cast<TimeMs>(kHalfLife);
constexpr TimeMs kStart = 1'333'476'009'000;  // 2012-04-03T18:00:09Z

TEST(DecayedValueTest, HalvesAfterOneHalfLife) {
  DecayedValue v;
  v.Add(4.0, kStart, kHalfLife);
  EXPECT_DOUBLE_EQ(v.At(kStart, kHalfLife), 4.0);
  EXPECT_NEAR(v.At(kStart + kHalfLifeMs, kHalfLife), 2.0, 1e-12);
  EXPECT_NEAR(v.At(kStart + 2 * kHalfLifeMs, kHalfLife), 1.0, 1e-12);
}

TEST(DecayedValueTest, DoesNotGrowWhenAskedAboutAnEarlierTime) {
  DecayedValue v;
  v.Add(1.0, kStart, kHalfLife);
  EXPECT_DOUBLE_EQ(v.At(kStart - kHalfLifeMs, kHalfLife), 1.0);
}

TEST(DecayedValueTest, NewerEventDecaysWhatCameBefore) {
  DecayedValue v;
  v.Add(1.0, kStart, kHalfLife);
  v.Add(1.0, kStart + kHalfLifeMs, kHalfLife);
  EXPECT_EQ(v.ref, kStart + kHalfLifeMs);
  EXPECT_NEAR(v.At(kStart + kHalfLifeMs, kHalfLife), 1.5, 1e-12);
}

TEST(DecayedValueTest, DiscountsEventsOlderThanTheReference) {
  DecayedValue v;
  v.Add(1.0, kStart + kHalfLifeMs, kHalfLife);
  v.Add(1.0, kStart, kHalfLife);  // arrives late, one half-life older
  EXPECT_EQ(v.ref, kStart + kHalfLifeMs);
  EXPECT_NEAR(v.At(kStart + kHalfLifeMs, kHalfLife), 1.5, 1e-12);
  v.Add(2.0, kStart - kHalfLifeMs, kHalfLife);  // two half-lives older: counts a quarter
  EXPECT_NEAR(v.At(kStart + kHalfLifeMs, kHalfLife), 2.0, 1e-12);
}

TEST(DecayedValueTest, SameEventsInAnyOrderGiveTheSameValue) {
  std::vector<std::pair<double, TimeMs>> events;
  for (int i = 0; i < 9; ++i) {
    events.emplace_back(0.3 + 0.7 * (i % 3), kStart + (i * 7919 % 13) * 3'600'000LL * 37);
  }
  auto value_of = [&](const std::vector<std::pair<double, TimeMs>>& order) {
    DecayedValue v;
    for (const auto& [w, t] : order) v.Add(w, t, kHalfLife);
    return v.At(kStart + 400 * 86'400'000LL, kHalfLife);
  };
  std::vector<std::pair<double, TimeMs>> order = events;
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  const double reference = value_of(order);
  ASSERT_GT(reference, 0.0);
  int permutations = 0;
  do {
    if (permutations++ % 997 != 0) continue;  // a spread of orders, not all 9!
    const double v = value_of(order);
    EXPECT_NEAR(v, reference, 1e-12 * reference) << "permutation " << permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  std::reverse(order.begin(), order.end());
  EXPECT_NEAR(value_of(order), reference, 1e-12 * reference);

  // The exact value: each weight decayed from its own time.
  double expected = 0;
  for (const auto& [w, t] : events) {
    expected += w * std::exp2(-static_cast<double>(kStart + 400 * 86'400'000LL - t) / kHalfLife);
  }
  EXPECT_NEAR(reference, expected, 1e-12 * expected);
}

}  // namespace
}  // namespace locus
