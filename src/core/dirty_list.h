// Keys changed since the last Persist: appended as they change (no node, no hash, no copy of
// an id per change), sorted and deduplicated when read. Keys are numbers or pointers to nodes
// of the model's tables, so a change costs a store into a vector where a hash set of ids took
// an allocation and a string copy (10-20 changes an event).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace locus {

template <class Key>
class DirtyList {
 public:
  void Add(const Key& key) {
    keys_.push_back(key);
    // Between two reads a list holds at most twice its distinct keys (and some slack): a
    // model that tracks changes nobody reads stays bounded.
    if (keys_.size() >= compact_at_) Compact();
  }
  // Every key added since clear(), each once (in the order of Key's operator<).
  const std::vector<Key>& Compact() {
    std::sort(keys_.begin(), keys_.end());
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    compact_at_ = std::max(kMinCompactAt, 2 * keys_.size());
    return keys_;
  }
  template <class Pred>
  void EraseIf(Pred pred) {
    std::erase_if(keys_, pred);
  }
  bool empty() const { return keys_.empty(); }
  // Empties the list, keeping its capacity.
  void clear() {
    keys_.clear();
    compact_at_ = kMinCompactAt;
  }

 private:
  static constexpr size_t kMinCompactAt = size_t{1} << 20;
  std::vector<Key> keys_;
  size_t compact_at_ = kMinCompactAt;
};

}  // namespace locus
