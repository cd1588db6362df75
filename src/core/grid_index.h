// A spatial index for "places near here": points bucketed in cells of a fixed size in degrees,
// searched ring by ring outwards from the query's cell. Candidate generation for activities
// with too many places to score them all.
//
// Plain value type; not thread-safe for writers (the Model serialises them).
#pragma once

#include "src/core/types.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace locus {

class GridIndex {
 public:
  // Cells of `cell_deg` degrees of latitude and longitude (0.01 is about 1.1 km north-south).
  explicit GridIndex(double cell_deg = 0.01) : cell_deg_(cell_deg) {}

  void Add(const PlaceId& id, const GeoPoint& at);
  void Remove(const PlaceId& id, const GeoPoint& at);
  size_t size() const { return size_; }

  // Appends to `out` the places of the rings of cells around `at`, nearest rings first, until
  // at least `want` were found or the rings reach `max_km` from `at` (the last ring may add
  // more than `want`, so the caller ranks them by exact distance). Places may lie a little
  // beyond `max_km`; the caller filters.
  void Near(const GeoPoint& at, size_t want, double max_km, std::vector<PlaceId>& out) const;

 private:
  static int64_t Key(int64_t row, int64_t col) { return row * 4'000'003 + col; }
  int64_t Row(double lat) const;
  int64_t Col(double lon) const;

  double cell_deg_;
  size_t size_ = 0;
  std::unordered_map<int64_t, std::vector<PlaceId>> cells_;
};

}  // namespace locus
