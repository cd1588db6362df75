// CountRow: counts by place index (Model's dense place numbers), for the co-visitation and
// transition rows. One sorted array of (key, count) pairs: 8 bytes an entry (a hash map of
// place ids took ~100, and two parallel arrays of 4- and 8-byte halves took 12 plus the slack
// of two growing arrays), lookups by binary search in contiguous memory, and iteration in
// index order (which carries no meaning: every reader orders what it takes by place id).
//
// Counts are of users and visits, never negative; one saturates at 2^32 - 1 instead of
// wrapping.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace locus {

class CountRow {
 public:
  static constexpr int64_t kMaxCount = std::numeric_limits<uint32_t>::max();

  // Adds `delta` (>= 0) to the count of `key` (an absent key counts 0).
  void Add(uint32_t key, int64_t delta) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                               [](const Entry& e, uint32_t k) { return e.key < k; });
    if (it == entries_.end() || it->key != key) it = entries_.insert(it, Entry{key, 0});
    it->count = Clamp(int64_t{it->count} + delta);
  }
  // The count of `key`; 0 when absent.
  int64_t Get(uint32_t key) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                               [](const Entry& e, uint32_t k) { return e.key < k; });
    return it != entries_.end() && it->key == key ? it->count : 0;
  }
  // Builds a row from (key, count) pairs in any order, each key once.
  static CountRow FromUnsorted(std::vector<std::pair<uint32_t, int64_t>> entries) {
    std::sort(entries.begin(), entries.end());
    CountRow row;
    row.entries_.reserve(entries.size());
    for (const auto& [key, n] : entries) row.entries_.push_back(Entry{key, Clamp(n)});
    return row;
  }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  uint32_t key(size_t i) const { return entries_[i].key; }
  int64_t count(size_t i) const { return entries_[i].count; }

 private:
  struct Entry {
    uint32_t key;
    uint32_t count;
  };
  static uint32_t Clamp(int64_t n) {
    return static_cast<uint32_t>(std::clamp<int64_t>(n, 0, kMaxCount));
  }

  std::vector<Entry> entries_;
};

}  // namespace locus
