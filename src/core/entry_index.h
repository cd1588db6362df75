// An index from an id to an entry that lives elsewhere (the Model's places), by open
// addressing: a lookup reads one 16-byte slot (the id's hash and the entry's address) and then
// the entry itself. std::unordered_map reads a bucket, the node before the wanted one and the
// node: at 1M places each is a cache miss, and candidate generation makes hundreds of lookups
// per answer.
//
// `Entry` has a public `id` (an Id: hash() and ==). The index holds addresses only: whoever
// owns the entries keeps them where they are while they are in the index, and erases them
// before they move or go. Plain value type; not thread-safe for writers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace locus {

template <class Entry>
class EntryIndex {
 public:
  // Adds `entry`, whose id must not be in the index.
  void Insert(const Entry* entry) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    Put(entry->id.hash(), entry);
    ++size_;
  }

  // Insert(entry_at(i)) for every i in [0, n), each id new and distinct: one run whose cache
  // misses overlap (the slot of the entry kDepth ahead is asked for first), as LookupEach.
  template <class EntryAt>
  void InsertEach(size_t n, EntryAt entry_at) {
    Reserve(size_ + n);
    for (size_t i = 0; i < n; ++i) {
      if (i + kDepth < n) __builtin_prefetch(&slots_[Home(entry_at(i + kDepth)->id.hash())]);
      Put(entry_at(i)->id.hash(), entry_at(i));
      ++size_;
    }
  }

  // Removes the entry with this id, if any.
  template <class Id>
  void Erase(const Id& id) {
    if (slots_.empty()) return;
    size_t i = Find(id);
    if (slots_[i].entry == nullptr) return;
    // Backward-shift deletion: move up every later entry of the run that may not stay behind
    // the hole, so that no lookup stops early and no tombstones pile up.
    for (size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].entry == nullptr) break;
      const size_t home = Home(slots_[j].hash);
      // `j` may fill the hole at `i` unless its home lies cyclically in (i, j].
      const bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
  }

  // The entry with this id; nullptr when there is none.
  template <class Id>
  const Entry* Lookup(const Id& id) const {
    if (slots_.empty()) return nullptr;
    return slots_[Find(id)].entry;
  }

  // Lookup(id_at(i)) for every i in [0, n), in order: f(i, entry or nullptr). A run of
  // lookups at 1M entries misses the cache twice each (the slot, then the entry's id); this
  // asks for the slot of the id kDepth lookups ahead and for the entry of the one kDepth / 2
  // ahead, so the misses overlap instead of queueing (the restart links millions of stored
  // rows to their places this way). `id_at(i)` returns a reference to an Id that stays put;
  // the ids themselves are asked for kDepth * 3 / 2 ahead.
  template <class IdAt, class F>
  void LookupEach(size_t n, IdAt id_at, F f) const {
    if (slots_.empty()) {
      for (size_t i = 0; i < n; ++i) f(i, static_cast<const Entry*>(nullptr));
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      if (i + kDepth + kDepth / 2 < n) __builtin_prefetch(&id_at(i + kDepth + kDepth / 2));
      if (i + kDepth < n) __builtin_prefetch(&slots_[Home(id_at(i + kDepth).hash())]);
      if (i + kDepth / 2 < n) {
        if (const Entry* e = slots_[Home(id_at(i + kDepth / 2).hash())].entry) {
          __builtin_prefetch(e);
        }
      }
      f(i, slots_[Find(id_at(i))].entry);
    }
  }

  size_t size() const { return size_; }
  // Makes room for `n` entries in all, so that inserting up to that many grows nothing.
  void Reserve(size_t n) {
    while (2 * n > slots_.size()) Grow();
  }

 private:
  // How many lookups ahead a run asks for the slots it will read.
  static constexpr size_t kDepth = 8;
  struct Slot {
    size_t hash = 0;
    const Entry* entry = nullptr;  // nullptr: free
  };

  // Fibonacci hashing: the high bits of hash * 2^64/phi, which spreads ids that differ only in
  // their hash's high bits as well.
  size_t Home(size_t hash) const {
    return static_cast<size_t>((static_cast<uint64_t>(hash) * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  // The slot holding `id`, or the free slot that ends its run.
  template <class Id>
  size_t Find(const Id& id) const {
    const size_t hash = id.hash();
    for (size_t i = Home(hash);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.entry == nullptr || (s.hash == hash && s.entry->id == id)) return i;
    }
  }
  void Put(size_t hash, const Entry* entry) {
    size_t i = Home(hash);
    while (slots_[i].entry != nullptr) i = (i + 1) & mask_;
    slots_[i] = Slot{hash, entry};
  }
  void Grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    const size_t capacity = old.empty() ? 16 : 2 * old.size();
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (const Slot& s : old) {
      if (s.entry != nullptr) Put(s.hash, s.entry);
    }
  }

  std::vector<Slot> slots_;  // a power of two of them, at most half in use
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

}  // namespace locus
