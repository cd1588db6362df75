// CountRow: counts by place index (Model's dense place numbers), for the co-visitation and
// transition rows. Nearly every pair is seen once (98% of co-visit entries and 96% of
// transition entries at 1M places, 1M users, 2M events), so a row keeps the keys counted once
// in 4 bytes each and only those counted more with their count (8 bytes), both sorted, in one
// array that grows by a quarter (a hash map of place ids took ~100 bytes an entry; sorted
// (key, count) pairs in a doubling array ~11). Lookups are binary searches in contiguous
// memory; iteration (entries counted more, then those counted once, each part by key)
// carries no meaning: every reader orders what it takes by place id.
//
// Counts are of users and visits. A count saturates at 2^32 - 1 instead of wrapping; one that
// comes to 0 (a row installed with a lower count) leaves the row.
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

  // Adds `delta` to the count of `key` (an absent key counts 0; the sum is kept in
  // [0, kMaxCount]).
  void Add(uint32_t key, int64_t delta) {
    if (delta == 0) return;
    const size_t m = FindMany(key);
    if (m < many() && ManyKey(m) == key) {
      const int64_t n = Clamp(int64_t{data_[2 + 2 * m]} + delta);
      if (n >= 2) {
        data_[2 + 2 * m] = static_cast<uint32_t>(n);
        return;
      }
      EraseMany(m);
      if (n == 1) InsertOne(FindOne(key), key);
      return;
    }
    const size_t o = FindOne(key);
    const bool once = o < ones() && data_[1 + 2 * many() + o] == key;
    const int64_t n = Clamp((once ? 1 : 0) + delta);
    if (n == (once ? 1 : 0)) return;
    if (once) Erase(1 + 2 * many() + o, 1);
    if (n == 1) {
      InsertOne(o, key);
    } else if (n > 1) {
      InsertMany(m, key, static_cast<uint32_t>(n));
    }
  }
  // The count of `key`; 0 when absent.
  int64_t Get(uint32_t key) const {
    const size_t m = FindMany(key);
    if (m < many() && ManyKey(m) == key) return data_[2 + 2 * m];
    const size_t o = FindOne(key);
    return o < ones() && data_[1 + 2 * many() + o] == key ? 1 : 0;
  }
  // Builds a row from (key, count) pairs in any order, each key once.
  static CountRow FromUnsorted(std::vector<std::pair<uint32_t, int64_t>> entries) {
    std::sort(entries.begin(), entries.end());
    CountRow row;
    size_t m = 0, o = 0;
    for (const auto& [key, n] : entries) {
      const uint32_t c = Clamp(n);
      m += c > 1;
      o += c == 1;
    }
    if (m + o == 0) return row;
    row.data_.reserve(1 + 2 * m + o);
    row.data_.push_back(static_cast<uint32_t>(m));
    for (const auto& [key, n] : entries) {
      if (const uint32_t c = Clamp(n); c > 1) {
        row.data_.push_back(key);
        row.data_.push_back(c);
      }
    }
    for (const auto& [key, n] : entries) {
      if (Clamp(n) == 1) row.data_.push_back(key);
    }
    return row;
  }

  // Keeps at most `keep` of the entries counted once (those counted more all stay): the
  // ones of lowest rank(key), ties by key, calling dropped(key) for each one removed.
  template <class Rank, class Dropped>
  void KeepOnes(size_t keep, Rank rank, Dropped dropped) {
    const size_t first = 1 + 2 * many(), n = ones();
    if (n <= keep) return;
    std::vector<std::pair<uint64_t, uint32_t>> ranked;
    ranked.reserve(n);
    for (size_t i = 0; i < n; ++i) ranked.emplace_back(rank(data_[first + i]), data_[first + i]);
    const auto cut = ranked.begin() + static_cast<std::ptrdiff_t>(keep);
    std::nth_element(ranked.begin(), cut, ranked.end());
    for (auto it = cut; it != ranked.end(); ++it) dropped(it->second);
    ranked.erase(cut, ranked.end());
    std::sort(ranked.begin(), ranked.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    data_.resize(first + keep);
    for (size_t i = 0; i < keep; ++i) data_[first + i] = ranked[i].second;
    if (data_.size() == 1) data_.clear();
  }

  size_t size() const { return many() + ones(); }
  // Entries counted once.
  size_t ones() const { return data_.empty() ? 0 : data_.size() - 1 - 2 * many(); }
  bool empty() const { return data_.empty(); }
  // Entry i (0 <= i < size()).
  uint32_t key(size_t i) const {
    return i < many() ? ManyKey(i) : data_[1 + 2 * many() + (i - many())];
  }
  int64_t count(size_t i) const { return i < many() ? data_[2 + 2 * i] : 1; }

 private:
  // data_: empty, or [m, m (key, count) pairs with count >= 2 by key, the keys counted once].
  size_t many() const { return data_.empty() ? 0 : data_[0]; }
  uint32_t ManyKey(size_t i) const { return data_[1 + 2 * i]; }
  static uint32_t Clamp(int64_t n) {
    return static_cast<uint32_t>(std::clamp<int64_t>(n, 0, kMaxCount));
  }
  // The position of the first entry counted more (counted once) whose key is not below `key`.
  size_t FindMany(uint32_t key) const {
    size_t lo = 0, hi = many();
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (ManyKey(mid) < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  size_t FindOne(uint32_t key) const {
    if (data_.empty()) return 0;
    const auto first = data_.begin() + static_cast<std::ptrdiff_t>(1 + 2 * many());
    return static_cast<size_t>(std::lower_bound(first, data_.end(), key) - first);
  }
  // Makes room for `n` more values, growing by a quarter (the average row then wastes an
  // eighth, where doubling wastes a quarter).
  void Grow(size_t n) {
    if (data_.size() + n > data_.capacity()) {
      data_.reserve(std::max(data_.size() + n, data_.size() + data_.size() / 4 + 2));
    }
  }
  void InsertOne(size_t at, uint32_t key) {
    if (data_.empty()) data_.push_back(0);
    Grow(1);
    data_.insert(data_.begin() + static_cast<std::ptrdiff_t>(1 + 2 * many() + at), key);
  }
  void InsertMany(size_t at, uint32_t key, uint32_t count) {
    if (data_.empty()) data_.push_back(0);
    Grow(2);
    const uint32_t pair[2] = {key, count};
    data_.insert(data_.begin() + static_cast<std::ptrdiff_t>(1 + 2 * at), pair, pair + 2);
    ++data_[0];
  }
  void EraseMany(size_t at) {
    Erase(1 + 2 * at, 2);
    if (!data_.empty()) --data_[0];
    if (data_.size() == 1) data_.clear();
  }
  void Erase(size_t at, size_t n) {
    const auto first = data_.begin() + static_cast<std::ptrdiff_t>(at);
    data_.erase(first, first + static_cast<std::ptrdiff_t>(n));
    if (data_.size() == 1) data_.clear();
  }

  std::vector<uint32_t> data_;
};

}  // namespace locus
