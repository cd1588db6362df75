// A spatial index for "places near here": points bucketed in cells of a fixed size in degrees,
// searched ring by ring outwards from the query's cell. Candidate generation for activities
// with too many places to score them all.
//
// `T` is what a cell holds: a PlaceId, or (the model) a pointer to the place itself, so that a
// search hands back candidates without a lookup or a string copy each. T must be cheap to copy
// and comparable with ==.
//
// Plain value type; not thread-safe for writers (the Model serialises them).
#pragma once

#include "src/core/geo.h"
#include "src/core/types.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace locus {

template <class T>
class BasicGridIndex {
 public:
  // Cells of `cell_deg` degrees of latitude and longitude (0.01 is about 1.1 km north-south).
  explicit BasicGridIndex(double cell_deg = 0.01) : cell_deg_(cell_deg) {}

  void Add(const T& item, const GeoPoint& at) {
    Cell& cell = CellAt(Key(Row(at.lat), Col(at.lon)));
    if (cell.items.empty()) ++occupied_;
    cell.items.push_back(item);
    ++size_;
  }
  void Remove(const T& item, const GeoPoint& at) {
    Cell* cell = FindCell(Key(Row(at.lat), Col(at.lon)));
    if (cell == nullptr) return;
    auto& v = cell->items;
    if (auto p = std::find(v.begin(), v.end(), item); p != v.end()) {
      *p = std::move(v.back());
      v.pop_back();
      --size_;
      if (v.empty()) --occupied_;
    }
  }
  size_t size() const { return size_; }

  // Appends to `out` the items of the rings of cells around `at`, nearest rings first, until
  // at least `want` were found or the rings reach `max_km` from `at` (the last ring may add
  // more than `want`, so the caller ranks them by exact distance). Items may lie a little
  // beyond `max_km`; the caller filters.
  void Near(const GeoPoint& at, size_t want, double max_km, std::vector<T>& out) const;

 private:
  // Rows and columns are >= 0 and columns < 4'000'003, so a key gives its row and column back.
  static int64_t Key(int64_t row, int64_t col) { return row * 4'000'003 + col; }
  int64_t Row(double lat) const {
    return static_cast<int64_t>(std::floor((lat + 90.0) / cell_deg_));
  }
  int64_t Col(double lon) const {
    return static_cast<int64_t>(std::floor((lon + 180.0) / cell_deg_));
  }

  // A cell keeps its place in `cells_` once used (emptied ones stay, few and reused), and
  // `slots_` finds it by open addressing: a search looks up hundreds of cells, most of them
  // empty, and one slot read answers each (a hash map read a bucket and a chain of nodes).
  struct Cell {
    int64_t key;
    std::vector<T> items;
  };
  size_t Home(int64_t key) const {
    return static_cast<size_t>((static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  // The slot holding `key`'s cell number + 1, or the free slot (0) where it would go.
  size_t Slot(int64_t key) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = Home(key);; i = (i + 1) & mask) {
      if (slots_[i] == 0 || cells_[slots_[i] - 1].key == key) return i;
    }
  }
  const Cell* FindCell(int64_t key) const {
    if (slots_.empty()) return nullptr;
    const uint32_t at = slots_[Slot(key)];
    return at == 0 ? nullptr : &cells_[at - 1];
  }
  Cell* FindCell(int64_t key) {
    return const_cast<Cell*>(static_cast<const BasicGridIndex*>(this)->FindCell(key));
  }
  Cell& CellAt(int64_t key) {
    if (Cell* c = FindCell(key)) return *c;
    if (2 * (cells_.size() + 1) > slots_.size()) Grow();
    cells_.push_back(Cell{key, {}});
    slots_[Slot(key)] = static_cast<uint32_t>(cells_.size());
    return cells_.back();
  }
  void Grow() {
    const size_t capacity = slots_.empty() ? 16 : 2 * slots_.size();
    slots_.assign(capacity, 0);
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (size_t i = 0; i < cells_.size(); ++i) {
      slots_[Slot(cells_[i].key)] = static_cast<uint32_t>(i + 1);
    }
  }

  double cell_deg_;
  size_t size_ = 0;
  size_t occupied_ = 0;  // cells holding at least one item
  std::vector<Cell> cells_;
  std::vector<uint32_t> slots_;  // a power of two of them, at most half in use
  int shift_ = 64;
};

using GridIndex = BasicGridIndex<PlaceId>;

template <class T>
void BasicGridIndex<T>::Near(const GeoPoint& at, size_t want, double max_km,
                             std::vector<T>& out) const {
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
    if (const Cell* cell = FindCell(Key(r, c))) {
      out.insert(out.end(), cell->items.begin(), cell->items.end());
      found += cell->items.size();
    }
  };
  // Every item within `ring` cells of the query's cell is in; one just beyond may be nearer
  // than a corner of the last ring, which is why callers ask for more than they keep.
  auto enough = [&](int64_t ring) { return found >= want && ring >= 1; };
  for (int64_t ring = 0; ring <= max_ring; ++ring) {
    if ((2 * ring + 1) * (2 * ring + 1) > static_cast<int64_t>(occupied_)) {
      // Sparse: the rings from here on have more cells than the index has occupied ones
      // (a rare activity, a far search), so take the occupied cells by their ring instead of
      // looking up every cell of every ring. Same items, same stopping rule.
      std::vector<std::pair<int64_t, const std::vector<T>*>> by_ring;
      for (const auto& [key, items] : cells_) {
        if (items.empty()) continue;
        const int64_t r = key / 4'000'003, c = key - r * 4'000'003;
        const int64_t dc = std::abs(c - col);
        const int64_t d = std::max(std::abs(r - row), std::min(dc, cols - dc));
        if (d >= ring && d <= max_ring) by_ring.emplace_back(d, &items);
      }
      std::sort(by_ring.begin(), by_ring.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 0; i < by_ring.size();) {
        const int64_t d = by_ring[i].first;
        // The rings between the last one taken and this one are empty: the ring search would
        // have stopped at the first of them (from ring 1 on) if it had enough.
        if (found >= want && d - 1 >= std::max<int64_t>(ring, 1)) break;
        for (; i < by_ring.size() && by_ring[i].first == d; ++i) {
          out.insert(out.end(), by_ring[i].second->begin(), by_ring[i].second->end());
          found += by_ring[i].second->size();
        }
        if (enough(d)) break;
      }
      return;
    }
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
    if (enough(ring)) break;
  }
}

}  // namespace locus
