#include "src/core/grid_index.h"

#include "src/core/geo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace locus {
namespace {

bool Has(const std::vector<PlaceId>& v, const std::string& id) {
  return std::find(v.begin(), v.end(), PlaceId(id)) != v.end();
}

TEST(GridIndexTest, FindsTheNearestPlacesFirstAndStopsWhenItHasEnough) {
  GridIndex g(0.01);
  // A line of places going east from the origin, one every ~0.85 km (0.01 deg at 40.7 N).
  for (int i = 0; i < 50; ++i) {
    g.Add(PlaceId("p" + std::to_string(i)), {40.7, -74.0 + 0.01 * i + 0.001});
  }
  EXPECT_EQ(g.size(), 50u);
  std::vector<PlaceId> out;
  g.Near({40.7, -74.0 + 0.0005}, 3, 100, out);
  EXPECT_TRUE(Has(out, "p0"));
  EXPECT_TRUE(Has(out, "p1"));
  EXPECT_TRUE(Has(out, "p2"));
  EXPECT_FALSE(Has(out, "p20")) << "stops after the ring where it found enough";
  EXPECT_LT(out.size(), 10u);
}

TEST(GridIndexTest, DenseAndSparseSearchesGiveEveryItemOfTheRingsUpToTheOneWithEnough) {
  // A dense cluster (searched ring by ring) and scattered places far out (where the search
  // takes the occupied cells by ring instead): both must give exactly the rings' items.
  const double cell = 0.01;
  BasicGridIndex<int> g(cell);
  std::vector<GeoPoint> at;
  uint64_t r = 0x9E3779B97F4A7C15ULL;
  auto uniform = [&] {
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    return static_cast<double>(r >> 11) * 0x1.0p-53;
  };
  for (int i = 0; i < 3000; ++i)
    at.push_back({40.70 + 0.05 * uniform(), -74.00 + 0.05 * uniform()});
  for (int i = 0; i < 60; ++i) at.push_back({40.0 + 2 * uniform(), -75.0 + 2 * uniform()});
  for (int i = 0; i < static_cast<int>(at.size()); ++i) g.Add(i, at[static_cast<size_t>(i)]);
  auto cell_of = [&](const GeoPoint& p) {
    return std::pair<int64_t, int64_t>{static_cast<int64_t>(std::floor((p.lat + 90) / cell)),
                                       static_cast<int64_t>(std::floor((p.lon + 180) / cell))};
  };
  for (int q = 0; q < 200; ++q) {
    const GeoPoint from{40.0 + 2 * uniform(), -75.0 + 2 * uniform()};
    const size_t want = q % 3 == 0 ? 1 : q % 3 == 1 ? 20 : 300;
    std::vector<int> out;
    g.Near(from, want, 2000, out);
    // The rule, item by item: rings in order until `want` are in (and at least ring 1).
    const auto [row, col] = cell_of(from);
    std::vector<std::pair<int64_t, int>> by_ring;
    for (int i = 0; i < static_cast<int>(at.size()); ++i) {
      const auto [ir, ic] = cell_of(at[static_cast<size_t>(i)]);
      by_ring.emplace_back(std::max(std::abs(ir - row), std::abs(ic - col)), i);
    }
    std::vector<int> expected;
    for (int64_t ring = 0; expected.size() < at.size(); ++ring) {
      for (const auto& [d, i] : by_ring) {
        if (d == ring) expected.push_back(i);
      }
      if (expected.size() >= want && ring >= 1) break;
    }
    std::sort(out.begin(), out.end());
    std::sort(expected.begin(), expected.end());
    ASSERT_EQ(out, expected) << "query " << q << " want " << want;
  }
}

TEST(GridIndexTest, GivesUpAtTheDistanceLimit) {
  GridIndex g(0.01);
  g.Add(PlaceId("far"), {41.7, -74.0});  // ~111 km north
  std::vector<PlaceId> out;
  g.Near({40.7, -74.0}, 1, 5, out);
  EXPECT_TRUE(out.empty());
  g.Near({40.7, -74.0}, 1, 200, out);
  EXPECT_TRUE(Has(out, "far"));
}

TEST(GridIndexTest, RemovedPlacesAreNotFoundAndAcrossTheAntimeridianTheyAre) {
  GridIndex g(0.01);
  g.Add(PlaceId("a"), {0.0, 179.995});
  g.Add(PlaceId("b"), {0.0, -179.995});
  std::vector<PlaceId> out;
  g.Near({0.0, 179.999}, 2, 10, out);
  EXPECT_TRUE(Has(out, "a"));
  EXPECT_TRUE(Has(out, "b")) << "1 km away across 180 degrees";
  g.Remove(PlaceId("a"), {0.0, 179.995});
  EXPECT_EQ(g.size(), 1u);
  out.clear();
  g.Near({0.0, 179.999}, 2, 10, out);
  EXPECT_FALSE(Has(out, "a"));
}

}  // namespace
}  // namespace locus
