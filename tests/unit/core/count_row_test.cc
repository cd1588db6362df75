#include "src/core/count_row.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace locus {
namespace {

TEST(CountRowTest, CountsLikeAMapWhateverTheOrderOfAdds) {
  CountRow row;
  std::map<uint32_t, int64_t> expected;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    const uint32_t key = rng() % 300;
    const int64_t delta = 1 + static_cast<int64_t>(rng() % 3);
    row.Add(key, delta);
    expected[key] += delta;
  }
  ASSERT_EQ(row.size(), expected.size());
  std::map<uint32_t, int64_t> iterated;
  for (size_t i = 0; i < row.size(); ++i) iterated[row.key(i)] = row.count(i);
  EXPECT_EQ(iterated, expected);
  for (const auto& [key, n] : expected) EXPECT_EQ(row.Get(key), n);
  EXPECT_EQ(row.Get(300), 0);
  EXPECT_EQ(CountRow().Get(0), 0);
}

TEST(CountRowTest, FromUnsortedEqualsTheSameAdds) {
  const std::vector<std::pair<uint32_t, int64_t>> entries = {{9, 2}, {1, 5}, {4, 1}, {0, 3}};
  const CountRow built = CountRow::FromUnsorted(entries);
  CountRow added;
  for (const auto& [key, n] : entries) added.Add(key, n);
  ASSERT_EQ(built.size(), added.size());
  for (size_t i = 0; i < built.size(); ++i) {
    EXPECT_EQ(built.key(i), added.key(i));
    EXPECT_EQ(built.count(i), added.count(i));
  }
  EXPECT_EQ(built.key(0), 0u);
  EXPECT_EQ(built.Get(9), 2);
}

TEST(CountRowTest, ACountMovesBetweenOnceAndMoreAndLeavesAtZero) {
  CountRow row;
  row.Add(5, 1);
  row.Add(2, 1);
  row.Add(5, 1);  // 5 is now counted more than once
  row.Add(8, 3);
  EXPECT_EQ(row.Get(5), 2);
  EXPECT_EQ(row.Get(2), 1);
  EXPECT_EQ(row.Get(8), 3);
  row.Add(8, -2);  // back to once
  row.Add(5, -2);  // gone
  row.Add(2, -1);  // gone
  EXPECT_EQ(row.Get(8), 1);
  EXPECT_EQ(row.Get(5), 0);
  EXPECT_EQ(row.Get(2), 0);
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row.key(0), 8u);
  row.Add(8, -1);
  EXPECT_TRUE(row.empty());
  row.Add(1, 0);
  EXPECT_TRUE(row.empty()) << "adding nothing makes no entry";
  EXPECT_EQ(CountRow::FromUnsorted({{3, 0}}).size(), 0u);
}

TEST(CountRowTest, ACountSaturatesInsteadOfWrapping) {
  CountRow row;
  row.Add(3, CountRow::kMaxCount - 1);
  row.Add(3, 5);
  EXPECT_EQ(row.Get(3), CountRow::kMaxCount);
  const CountRow built = CountRow::FromUnsorted({{1, CountRow::kMaxCount + 10}});
  EXPECT_EQ(built.Get(1), CountRow::kMaxCount);
}

TEST(CountRowTest, KeepOnesKeepsTheLowestRankedOnceCountedAndEveryEntryCountedMore) {
  CountRow row;
  for (uint32_t k = 10; k < 20; ++k) row.Add(k, 1);  // counted once
  row.Add(3, 5);
  row.Add(25, 2);
  // Rank: the reverse of the key, so the highest keys stay.
  std::vector<uint32_t> dropped;
  row.KeepOnes(
      4, [](uint32_t k) { return uint64_t{100} - k; }, [&](uint32_t k) { dropped.push_back(k); });
  std::sort(dropped.begin(), dropped.end());
  EXPECT_EQ(dropped, (std::vector<uint32_t>{10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(row.size(), 6u);
  EXPECT_EQ(row.ones(), 4u);
  EXPECT_EQ(row.Get(3), 5);
  EXPECT_EQ(row.Get(25), 2);
  for (uint32_t k = 16; k < 20; ++k) EXPECT_EQ(row.Get(k), 1) << k;
  EXPECT_EQ(row.Get(12), 0);
  // Still a working row: a kept key counts on, a dropped one comes back once.
  row.Add(19, 1);
  row.Add(12, 1);
  EXPECT_EQ(row.Get(19), 2);
  EXPECT_EQ(row.Get(12), 1);
  // Keeping as many as there are changes nothing; keeping none leaves those counted more.
  dropped.clear();
  row.KeepOnes(
      row.ones(), [](uint32_t) { return uint64_t{0}; }, [&](uint32_t k) { dropped.push_back(k); });
  EXPECT_TRUE(dropped.empty());
  row.KeepOnes(
      0, [](uint32_t) { return uint64_t{0}; }, [&](uint32_t k) { dropped.push_back(k); });
  EXPECT_EQ(dropped.size(), 4u);
  EXPECT_EQ(row.size(), 3u);
  EXPECT_EQ(row.Get(19), 2);
  CountRow ones_only;
  ones_only.Add(7, 1);
  ones_only.KeepOnes(
      0, [](uint32_t) { return uint64_t{0}; }, [](uint32_t) {});
  EXPECT_TRUE(ones_only.empty());
}

}  // namespace
}  // namespace locus
