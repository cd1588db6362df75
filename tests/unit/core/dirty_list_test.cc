#include "src/core/dirty_list.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace locus {
namespace {

TEST(DirtyListTest, GivesEveryKeyOnceInOrder) {
  DirtyList<uint64_t> d;
  EXPECT_TRUE(d.empty());
  for (uint64_t k : {5, 3, 5, 9, 3, 3}) d.Add(k);
  EXPECT_EQ(d.Compact(), (std::vector<uint64_t>{3, 5, 9}));
  d.Add(1);
  d.Add(9);
  EXPECT_EQ(d.Compact(), (std::vector<uint64_t>{1, 3, 5, 9}));
  d.clear();
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(d.Compact().empty());
}

TEST(DirtyListTest, ManyChangesToFewKeysStayBounded) {
  // A model that tracks changes nobody reads: the list compacts itself as it grows.
  DirtyList<uint32_t> d;
  for (uint32_t i = 0; i < 5'000'000; ++i) d.Add(i % 1000);
  const std::vector<uint32_t>& keys = d.Compact();
  ASSERT_EQ(keys.size(), 1000u);
  EXPECT_LT(keys.capacity(), size_t{3} << 20) << "never held more than its bound";
  EXPECT_EQ(keys.front(), 0u);
  EXPECT_EQ(keys.back(), 999u);
}

TEST(DirtyListTest, EraseIfForgetsTheKeysItSelects) {
  DirtyList<int> d;
  for (int k : {1, 2, 3, 4, 2}) d.Add(k);
  d.EraseIf([](int k) { return k % 2 == 0; });
  EXPECT_EQ(d.Compact(), (std::vector<int>{1, 3}));
}

}  // namespace
}  // namespace locus
