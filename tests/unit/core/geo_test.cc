#include "src/core/geo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace locus {
namespace {

TEST(GeoTest, HaversineMatchesKnownDistances) {
  const GeoPoint jfk{40.6413, -73.7781};
  const GeoPoint lax{33.9416, -118.4085};
  EXPECT_NEAR(HaversineKm(jfk, lax), 3983.0, 3983.0 * 0.005);
  const GeoPoint london{51.5074, -0.1278};
  const GeoPoint paris{48.8566, 2.3522};
  EXPECT_NEAR(HaversineKm(london, paris), 343.5, 343.5 * 0.005);
  // One degree of latitude is R * pi / 180.
  EXPECT_NEAR(HaversineKm({10, 20}, {11, 20}), kEarthRadiusKm * M_PI / 180, 1e-9);
}

TEST(GeoTest, HaversineIsSymmetricAndZeroForTheSamePoint) {
  const GeoPoint a{40.7198, -74.0026};
  const GeoPoint b{40.6829, -73.7146};
  EXPECT_EQ(HaversineKm(a, a), 0.0);
  EXPECT_DOUBLE_EQ(HaversineKm(a, b), HaversineKm(b, a));
}

TEST(GeoTest, HaversineOfAntipodesIsHalfTheCircumference) {
  EXPECT_NEAR(HaversineKm({0, 0}, {0, 180}), M_PI * kEarthRadiusKm, 1e-6);
  EXPECT_NEAR(HaversineKm({90, 0}, {-90, 0}), M_PI * kEarthRadiusKm, 1e-6);
  // Haversine is ill-conditioned next to the antipode (asin near 1): within a metre.
  EXPECT_NEAR(HaversineKm({35, 20}, {-35, -160}), M_PI * kEarthRadiusKm, 1e-3);
}

TEST(GeoTest, HaversineCrossesTheAntimeridianTheShortWay) {
  EXPECT_NEAR(HaversineKm({0, 179.5}, {0, -179.5}), kEarthRadiusKm * M_PI / 180, 1e-9);
}

TEST(GeoTest, ValidPositionAcceptsTheClosedBounds) {
  EXPECT_TRUE(ValidPosition({0, 0}));
  EXPECT_TRUE(ValidPosition({90, 180}));
  EXPECT_TRUE(ValidPosition({-90, -180}));
  EXPECT_TRUE(ValidPosition({40.7198, -74.0026}));
}

TEST(GeoTest, ValidPositionRejectsOutOfRangeAndNonFinite) {
  EXPECT_FALSE(ValidPosition({90.0001, 0}));
  EXPECT_FALSE(ValidPosition({-90.0001, 0}));
  EXPECT_FALSE(ValidPosition({0, 180.0001}));
  EXPECT_FALSE(ValidPosition({0, -180.0001}));
  EXPECT_FALSE(ValidPosition({std::nan(""), 0}));
  EXPECT_FALSE(ValidPosition({0, std::numeric_limits<double>::infinity()}));
  EXPECT_FALSE(ValidPosition({-std::numeric_limits<double>::infinity(), 0}));
}

}  // namespace
}  // namespace locus
