#include "src/core/grid_index.h"

#include "src/core/geo.h"

#include <gtest/gtest.h>

#include <algorithm>
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
