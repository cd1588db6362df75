// CountRow: counts by place index (Model's dense place numbers), for the co-visitation and
// transition rows. Nearly every pair is seen once (98% of co-visit entries and 96% of
// transition entries at 1M places, 1M users, 2M events), so a row keeps the keys counted once
// apart from those counted more (8 bytes each, key and count), both sorted, in one array of
// 16-bit words that grows by a quarter. Co-visit rows hold most of what the model gains per
// event (262M entries at 50M events), so the keys counted once are packed in whichever of
// three layouts is smallest:
// - whole: 4 bytes a key;
// - deltas (rows of at most 64 such keys): the first key whole, then each one's distance from
//   the one before in 2 bytes (6 when it is 65,535 or more), so ~2 bytes a key once a row has
//   more than places / 65,536 keys;
// - buckets (rows of 64 or more): keys grouped by their high 16 bits (at 1M places one of
//   16), 4 bytes a group and 2 bytes a key.
// (bench/README "Session of 2026-12-07, eleventh".) A hash map of place ids took ~100 bytes
// an entry; sorted (key, count) pairs ~11.
//
// Lookups are binary searches in contiguous memory (after a scan of the buckets, at most 16
// at 1M places), or a scan of at most 64 deltas. Iteration (entries counted more, then those
// counted once, each part by key) carries no meaning: every reader orders what it takes by
// place id. Which layout a row uses is never visible outside it.
//
// Counts are of users and visits. A count saturates at 2^32 - 1 instead of wrapping; one that
// comes to 0 (a row installed with a lower count) leaves the row.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace locus {

class CountRow {
 public:
  static constexpr int64_t kMaxCount = std::numeric_limits<uint32_t>::max();

  // Adds `delta` to the count of `key` (an absent key counts 0; the sum is kept in
  // [0, kMaxCount]).
  void Add(uint32_t key, int64_t delta);
  // The count of `key`; 0 when absent.
  int64_t Get(uint32_t key) const {
    const size_t m = FindMany(key);
    if (m < many() && ManyKey(m) == key) return ManyCount(m);
    return FindOne(key).found ? 1 : 0;
  }
  // Builds a row from (key, count) pairs in any order, each key once.
  static CountRow FromUnsorted(std::vector<std::pair<uint32_t, int64_t>> entries);

  // Keeps at most `keep` of the entries counted once (those counted more all stay): the
  // ones of lowest rank(key), ties by key, calling dropped(key) for each one removed.
  template <class Rank, class Dropped>
  void KeepOnes(size_t keep, Rank rank, Dropped dropped) {
    const size_t n = ones();
    if (n <= keep) return;
    std::vector<std::pair<uint64_t, uint32_t>> ranked;
    ranked.reserve(n);
    ForEachOne([&](uint32_t key) { ranked.emplace_back(rank(key), key); });
    const auto cut = ranked.begin() + static_cast<std::ptrdiff_t>(keep);
    std::nth_element(ranked.begin(), cut, ranked.end());
    for (auto it = cut; it != ranked.end(); ++it) dropped(it->second);
    std::vector<uint32_t> kept;
    kept.reserve(keep);
    for (auto it = ranked.begin(); it != cut; ++it) kept.push_back(it->second);
    std::sort(kept.begin(), kept.end());
    SetOnes(kept);
  }

  // Calls f(key, count) for every entry: those counted more, then those counted once.
  template <class F>
  void ForEach(F f) const {
    for (size_t i = 0; i < many(); ++i) f(ManyKey(i), int64_t{ManyCount(i)});
    ForEachOne([&](uint32_t key) { f(key, int64_t{1}); });
  }

  size_t size() const { return many() + ones(); }
  // Asks memory for the row's first words (its layout and the start of its keys).
  void Prefetch() const { __builtin_prefetch(d_.data()); }
  // Entries counted once.
  size_t ones() const {
    if (d_.empty()) return 0;
    const uint32_t layout = Word32(2);
    if (layout & kDeltas) return layout & ~kDeltas;
    const size_t rest = d_.size() - OnesBegin();
    return layout == 0 ? rest / 2 : rest - 2 * size_t{layout};
  }
  bool empty() const { return d_.empty(); }
  // Entry i (0 <= i < size()), in ForEach's order. O(buckets) or O(64) for an entry counted
  // once: loops over a row use ForEach.
  uint32_t key(size_t i) const;
  int64_t count(size_t i) const { return i < many() ? ManyCount(i) : 1; }
  // Bytes the row holds on the heap (its array's capacity).
  size_t heap_bytes() const { return d_.capacity() * sizeof(uint16_t); }
  // The layout of the keys counted once (tests and reports).
  enum class Layout { kWhole, kDeltas, kBuckets };
  Layout layout() const {
    const uint32_t layout = d_.empty() ? 0 : Word32(2);
    return layout == 0 ? Layout::kWhole : layout & kDeltas ? Layout::kDeltas : Layout::kBuckets;
  }

 private:
  // d_: empty, or [m (2 words), layout (2 words), m entries (key, count: 2 words each) by
  // key, then the keys counted once]. A u32 is two words, low word first. The layout word:
  // - 0: the keys counted once are whole, 2 words each, by key;
  // - kDeltas | n: n keys (n <= kSmall), the first whole, then each key's distance from the
  //   one before, one word, or kEscape and the key whole when the distance does not fit;
  // - b (> 0): b buckets (high half, keys in it - 1) by high half, then each bucket's low
  //   halves in order.
  //
  // A row of at most kSmall keys counted once: deltas change in place (going back to whole
  // keys when escapes make them no smaller); whole keys are laid out again at each change,
  // taking the smallest layout (each costs O(kSmall)). A larger row takes buckets when they
  // are at least 4 keys a bucket, checked when its count of keys doubles, and leaves them
  // below 2 keys a bucket. FromUnsorted and KeepOnes choose afresh.
  static constexpr uint32_t kDeltas = 0x80000000u;
  static constexpr uint16_t kEscape = 0xFFFF;
  static constexpr size_t kSmall = 64;
  static bool PreferBuckets(size_t ones, size_t buckets) {
    return ones >= kSmall && 4 * buckets <= ones;
  }
  static bool KeepBuckets(size_t ones, size_t buckets) {
    return ones > kSmall / 2 && 2 * buckets <= ones;
  }

  uint32_t Word32(size_t at) const { return uint32_t{d_[at]} | uint32_t{d_[at + 1]} << 16; }
  void SetWord32(size_t at, uint32_t v) {
    d_[at] = static_cast<uint16_t>(v);
    d_[at + 1] = static_cast<uint16_t>(v >> 16);
  }
  size_t many() const { return d_.empty() ? 0 : Word32(0); }
  size_t buckets() const { return layout() == Layout::kBuckets ? Word32(2) : 0; }
  uint32_t ManyKey(size_t i) const { return Word32(4 + 4 * i); }
  uint32_t ManyCount(size_t i) const { return Word32(6 + 4 * i); }
  // Where the keys counted once (or their buckets) begin.
  size_t OnesBegin() const { return 4 + 4 * many(); }
  static uint32_t Clamp(int64_t n) {
    return static_cast<uint32_t>(std::clamp<int64_t>(n, 0, kMaxCount));
  }
  // The position of the first entry counted more whose key is not below `key`.
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
  // Where a key counted once is, or would go.
  struct OneAt {
    bool found = false;
    size_t at = 0;           // word of the key (or of its low half), or where it would go
    size_t bucket = 0;       // bucketed: the key's bucket, or where it would go
    bool in_bucket = false;  // bucketed: the key's bucket exists
  };
  OneAt FindOne(uint32_t key) const;
  template <class F>
  void ForEachOne(F f) const {
    if (d_.empty()) return;
    const size_t begin = OnesBegin();
    const uint32_t layout = Word32(2);
    if (layout == 0) {
      for (size_t at = begin; at < d_.size(); at += 2) f(Word32(at));
      return;
    }
    if (layout & kDeltas) {
      if ((layout & ~kDeltas) == 0) return;
      uint32_t key = Word32(begin);
      f(key);
      for (size_t at = begin + 2; at < d_.size();) {
        if (d_[at] == kEscape) {
          key = Word32(at + 1);
          at += 3;
        } else {
          key += d_[at++];
        }
        f(key);
      }
      return;
    }
    const size_t b = layout;
    size_t at = begin + 2 * b;
    for (size_t k = 0; k < b; ++k) {
      const uint32_t high = uint32_t{d_[begin + 2 * k]} << 16;
      for (size_t end = at + d_[begin + 2 * k + 1] + 1; at < end; ++at) f(high | d_[at]);
    }
  }
  // Makes room for `n` more words, growing by a quarter (the average row then wastes an
  // eighth, where doubling wastes a quarter).
  void Grow(size_t n) {
    if (d_.size() + n > d_.capacity()) {
      d_.reserve(std::max(d_.size() + n, d_.size() + d_.size() / 4 + 4));
    }
  }
  void InsertOne(uint32_t key);
  void EraseOne(const OneAt& at, uint32_t key);
  void InsertMany(size_t at, uint32_t key, uint32_t count);
  void EraseMany(size_t at);
  // Replaces the keys counted once with `keys` (sorted, distinct), in the layout that pays.
  // `exact`: room for these keys alone; otherwise the array grows by a quarter when it must.
  void SetOnes(std::span<const uint32_t> keys, bool exact = true);
  // A row of deltas' change in place: `key` added (absent, and the row stays within kSmall)
  // or taken out (present, and more than 2 stay). False when the row must be laid out again.
  bool ChangeDeltas(uint32_t key, bool add);
  // Writes the distance from `from` to `to` (or kEscape and `to` whole) to `out`; its words.
  static size_t PutDelta(uint32_t from, uint32_t to, uint16_t* out);
  // Replaces words [from, to) with `n` words.
  void Splice(size_t from, size_t to, const uint16_t* words, size_t n);
  // The keys counted once laid out again, in the layout that pays now (SetOnes, not exact).
  void LayOutAgain();
  // A small row's change: its keys counted once with `key` added or taken out, laid out again.
  void ReplaceSmall(uint32_t key, bool add);
  void ClearIfEmpty() {
    if (many() == 0 && ones() == 0) d_.clear();
  }

  std::vector<uint16_t> d_;
};

}  // namespace locus
