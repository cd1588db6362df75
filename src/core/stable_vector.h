// A sequence indexed from 0 that only grows at its end and never moves what it holds: it is
// kept in chunks of a fixed count, each allocated once. The Model keeps its place entries in
// one (numbered by position), so that indexes of addresses (EntryIndex) and lists of entries
// stay valid while places are added, where a node-based map would cost a node, a copy of the
// key and a bucket per entry (and a hash lookup per insert on a restart).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace locus {

template <class T, size_t kChunkBits = 10>
class StableVector {
 public:
  static constexpr size_t kChunk = size_t{1} << kChunkBits;

  StableVector() = default;
  // Move-only: a copy's chunks would be sized to their elements, and the next emplace_back
  // into the last one would move them (and whoever points at them would not know).
  StableVector(StableVector&&) noexcept = default;
  StableVector& operator=(StableVector&&) noexcept = default;
  StableVector(const StableVector&) = delete;
  StableVector& operator=(const StableVector&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& operator[](size_t i) { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
  const T& operator[](size_t i) const { return chunks_[i >> kChunkBits][i & (kChunk - 1)]; }

  // Constructs the element at position size() in place; what was there before stays put.
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if ((size_ & (kChunk - 1)) == 0) {
      // A chunk never grows past its reserve: its elements never move.
      chunks_.emplace_back().reserve(kChunk);
    }
    ++size_;
    return chunks_.back().emplace_back(std::forward<Args>(args)...);
  }

  // Room for the chunk table of n elements (the chunks themselves come as they fill).
  void reserve(size_t n) { chunks_.reserve((n + kChunk - 1) / kChunk); }

 private:
  std::vector<std::vector<T>> chunks_;
  size_t size_ = 0;
};

}  // namespace locus
