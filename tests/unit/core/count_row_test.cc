#include "src/core/count_row.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace locus
