// CountRow: counts by place index (Model's dense place numbers), for the co-visitation and
// transition rows. Sorted parallel arrays: 12 bytes an entry where a hash map of place ids
// took ~100, lookups by binary search in contiguous memory, and iteration in index order
// (which carries no meaning: every reader orders what it takes by place id).
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace locus {

class CountRow {
 public:
  // Adds `delta` to the count of `key` (an absent key counts 0).
  void Add(uint32_t key, int64_t delta) {
    auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    const auto i = static_cast<size_t>(it - keys_.begin());
    if (it != keys_.end() && *it == key) {
      counts_[i] += delta;
      return;
    }
    keys_.insert(it, key);
    counts_.insert(counts_.begin() + static_cast<std::ptrdiff_t>(i), delta);
  }
  // The count of `key`; 0 when absent.
  int64_t Get(uint32_t key) const {
    auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
    return it != keys_.end() && *it == key ? counts_[static_cast<size_t>(it - keys_.begin())] : 0;
  }
  // Builds a row from (key, count) pairs in any order, each key once.
  static CountRow FromUnsorted(std::vector<std::pair<uint32_t, int64_t>> entries) {
    std::sort(entries.begin(), entries.end());
    CountRow row;
    row.keys_.reserve(entries.size());
    row.counts_.reserve(entries.size());
    for (const auto& [key, n] : entries) {
      row.keys_.push_back(key);
      row.counts_.push_back(n);
    }
    return row;
  }

  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  uint32_t key(size_t i) const { return keys_[i]; }
  int64_t count(size_t i) const { return counts_[i]; }

 private:
  std::vector<uint32_t> keys_;
  std::vector<int64_t> counts_;
};

}  // namespace locus
