#include "src/core/grid_index.h"

#include "src/core/geo.h"

#include <algorithm>
#include <cmath>

namespace locus {

int64_t GridIndex::Row(double lat) const {
  return static_cast<int64_t>(std::floor((lat + 90.0) / cell_deg_));
}

int64_t GridIndex::Col(double lon) const {
  return static_cast<int64_t>(std::floor((lon + 180.0) / cell_deg_));
}

void GridIndex::Add(const PlaceId& id, const GeoPoint& at) {
  cells_[Key(Row(at.lat), Col(at.lon))].push_back(id);
  ++size_;
}

void GridIndex::Remove(const PlaceId& id, const GeoPoint& at) {
  auto it = cells_.find(Key(Row(at.lat), Col(at.lon)));
  if (it == cells_.end()) return;
  auto& v = it->second;
  if (auto p = std::find(v.begin(), v.end(), id); p != v.end()) {
    *p = std::move(v.back());
    v.pop_back();
    --size_;
  }
  if (v.empty()) cells_.erase(it);
}

void GridIndex::Near(const GeoPoint& at, size_t want, double max_km,
                     std::vector<PlaceId>& out) const {
  if (size_ == 0) return;
  const int64_t row = Row(at.lat), col = Col(at.lon);
  const int64_t cols = static_cast<int64_t>(std::ceil(360.0 / cell_deg_));
  // Width of a cell in km: north-south everywhere, east-west shrinking with latitude.
  const double ns_km = cell_deg_ * kEarthRadiusKm * M_PI / 180.0;
  const double ew_km = std::max(1e-3, ns_km * std::cos(at.lat * M_PI / 180.0));
  const double cell_km = std::min(ns_km, ew_km);
  const auto max_ring = static_cast<int64_t>(
      std::min(std::ceil(max_km / cell_km) + 1, static_cast<double>(cols / 2)));
  size_t found = 0;
  auto visit = [&](int64_t r, int64_t c) {
    c = ((c % cols) + cols) % cols;  // wrap at the antimeridian
    if (auto it = cells_.find(Key(r, c)); it != cells_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      found += it->second.size();
    }
  };
  for (int64_t ring = 0; ring <= max_ring; ++ring) {
    if (ring == 0) {
      visit(row, col);
    } else {
      for (int64_t c = col - ring; c <= col + ring; ++c) {
        visit(row - ring, c);
        visit(row + ring, c);
      }
      for (int64_t r = row - ring + 1; r <= row + ring - 1; ++r) {
        visit(r, col - ring);
        visit(r, col + ring);
      }
    }
    // Every place within `ring` cells of the query's cell is in; a place just beyond may be
    // nearer than a corner of the last ring, which is why callers ask for more than they keep.
    if (found >= want && ring >= 1) break;
  }
}

}  // namespace locus
