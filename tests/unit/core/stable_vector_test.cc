#include "src/core/stable_vector.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace locus {
namespace {

// Chunks of 4, so that a few elements cross several chunk boundaries.
using Small = StableVector<std::string, 2>;

// Every element is where it was put, at the index it was given, however many came after it,
// and a move hands the same elements over without moving them.
TEST(StableVectorTest, ElementsKeepTheirIndexAndAddressAsItGrowsAndWhenMoved) {
  Small v;
  EXPECT_TRUE(v.empty());
  std::vector<const std::string*> addresses;
  for (int i = 0; i < 37; ++i) {
    std::string& added = v.emplace_back("item " + std::to_string(i));
    EXPECT_EQ(&added, &v[static_cast<size_t>(i)]);
    addresses.push_back(&added);
    ASSERT_EQ(v.size(), static_cast<size_t>(i) + 1);
    for (int j = 0; j <= i; ++j) {
      const auto n = static_cast<size_t>(j);
      ASSERT_EQ(&v[n], addresses[n]) << "element " << j << " moved when " << i << " came";
      ASSERT_EQ(v[n], "item " + std::to_string(j));
    }
  }
  Small moved = std::move(v);
  ASSERT_EQ(moved.size(), addresses.size());
  for (size_t n = 0; n < addresses.size(); ++n) EXPECT_EQ(&moved[n], addresses[n]);
  v = Small();
  moved.reserve(1000);  // the chunk table only: no element moves
  moved.emplace_back("after the reserve");
  for (size_t n = 0; n < addresses.size(); ++n) EXPECT_EQ(&moved[n], addresses[n]);
  EXPECT_EQ(moved[addresses.size()], "after the reserve");
}

}  // namespace
}  // namespace locus
