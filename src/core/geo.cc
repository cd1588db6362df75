#include "src/core/geo.h"

#include <cmath>

namespace locus {

namespace {

constexpr double kRad = M_PI / 180.0;

}  // namespace

double CosLatitude(const GeoPoint& p) { return std::cos(p.lat * kRad); }

double HaversineKm(const GeoPoint& a, double cos_a, const GeoPoint& b, double cos_b) {
  const double dlat = (b.lat - a.lat) * kRad;
  const double dlon = (b.lon - a.lon) * kRad;
  const double s = std::sin(dlat / 2);
  const double t = std::sin(dlon / 2);
  const double h = s * s + cos_a * cos_b * t * t;
  return 2 * kEarthRadiusKm * std::asin(std::sqrt(std::min(1.0, h)));
}

double HaversineKm(const GeoPoint& a, const GeoPoint& b) {
  return HaversineKm(a, CosLatitude(a), b, CosLatitude(b));
}

bool ValidPosition(const GeoPoint& p) {
  return std::isfinite(p.lat) && std::isfinite(p.lon) && p.lat >= -90 && p.lat <= 90 &&
         p.lon >= -180 && p.lon <= 180;
}

}  // namespace locus
