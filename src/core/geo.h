// Great-circle distance on WGS84 coordinates (haversine on a sphere of the mean Earth radius).
#pragma once

#include "src/core/types.h"

namespace locus {

// Mean Earth radius in km (IUGG), the radius EVAL.md's reference methods use.
inline constexpr double kEarthRadiusKm = 6371.0088;

// Haversine distance in km between two points. Pure, thread-safe.
double HaversineKm(const GeoPoint& a, const GeoPoint& b);

// The cosine of a point's latitude, the part of a haversine that depends on one end only.
double CosLatitude(const GeoPoint& p);
// HaversineKm(a, b) from the ends' CosLatitude, to the last bit the same: for many distances
// from one point (a query, a user's area), each cosine computed once.
double HaversineKm(const GeoPoint& a, double cos_a, const GeoPoint& b, double cos_b);

// True when lat is in [-90, 90] and lon in [-180, 180] (and both are finite).
bool ValidPosition(const GeoPoint& p);

}  // namespace locus
