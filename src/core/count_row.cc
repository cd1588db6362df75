#include "src/core/count_row.h"

namespace locus {

void CountRow::Add(uint32_t key, int64_t delta) {
  if (delta == 0) return;
  const size_t m = FindMany(key);
  if (m < many() && ManyKey(m) == key) {
    const int64_t n = Clamp(int64_t{ManyCount(m)} + delta);
    if (n >= 2) {
      SetWord32(6 + 4 * m, static_cast<uint32_t>(n));
      return;
    }
    EraseMany(m);
    if (n == 1) InsertOne(key);
    ClearIfEmpty();
    return;
  }
  const OneAt one = FindOne(key);
  const int64_t before = one.found ? 1 : 0;
  const int64_t n = Clamp(before + delta);
  if (n == before) return;
  if (one.found) EraseOne(one, key);
  if (n == 1) {
    InsertOne(key);
  } else if (n > 1) {
    InsertMany(m, key, static_cast<uint32_t>(n));  // the entries counted more did not move
  }
  ClearIfEmpty();
}

CountRow CountRow::FromUnsorted(std::vector<std::pair<uint32_t, int64_t>> entries) {
  std::sort(entries.begin(), entries.end());
  CountRow row;
  std::vector<uint32_t> ones;
  size_t m = 0;
  for (const auto& [key, n] : entries) {
    const uint32_t c = Clamp(n);
    m += c > 1;
    if (c == 1) ones.push_back(key);
  }
  if (m + ones.size() == 0) return row;
  row.d_.reserve(4 + 4 * m);  // SetOnes makes the exact room the keys counted once need
  row.d_.assign(4, 0);
  row.SetWord32(0, static_cast<uint32_t>(m));
  for (const auto& [key, n] : entries) {
    if (const uint32_t c = Clamp(n); c > 1) {
      row.d_.insert(row.d_.end(), {static_cast<uint16_t>(key), static_cast<uint16_t>(key >> 16),
                                   static_cast<uint16_t>(c), static_cast<uint16_t>(c >> 16)});
    }
  }
  row.SetOnes(ones);
  return row;
}

uint32_t CountRow::key(size_t i) const {
  if (i < many()) return ManyKey(i);
  size_t j = i - many();
  const size_t begin = OnesBegin();
  switch (layout()) {
    case Layout::kWhole:
      return Word32(begin + 2 * j);
    case Layout::kDeltas: {
      uint32_t found = 0;
      ForEachOne([&](uint32_t k) {
        if (j-- == 0) found = k;
      });
      return found;
    }
    case Layout::kBuckets:
      break;
  }
  const size_t b = buckets();
  size_t at = begin + 2 * b;
  for (size_t k = 0;; ++k) {
    const size_t n = size_t{d_[begin + 2 * k + 1]} + 1;
    if (j < n) return uint32_t{d_[begin + 2 * k]} << 16 | d_[at + j];
    j -= n;
    at += n;
  }
}

CountRow::OneAt CountRow::FindOne(uint32_t key) const {
  OneAt r;
  if (d_.empty()) return r;
  const size_t begin = OnesBegin();
  switch (layout()) {
    case Layout::kWhole: {
      size_t lo = 0, hi = (d_.size() - begin) / 2;
      while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (Word32(begin + 2 * mid) < key) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      r.at = begin + 2 * lo;
      r.found = r.at < d_.size() && Word32(r.at) == key;
      return r;
    }
    case Layout::kDeltas: {  // changes lay the row out again: only `found` is used
      uint32_t k = Word32(begin);
      for (size_t at = begin + 2; k < key && at < d_.size();) {
        if (d_[at] == kEscape) {
          k = Word32(at + 1);
          at += 3;
        } else {
          k += d_[at++];
        }
      }
      r.found = k == key;
      return r;
    }
    case Layout::kBuckets:
      break;
  }
  const size_t b = buckets();
  const auto high = static_cast<uint16_t>(key >> 16), low = static_cast<uint16_t>(key);
  size_t at = begin + 2 * b, k = 0;
  for (; k < b && d_[begin + 2 * k] < high; ++k) at += size_t{d_[begin + 2 * k + 1]} + 1;
  r.bucket = k;
  r.in_bucket = k < b && d_[begin + 2 * k] == high;
  r.at = at;
  if (!r.in_bucket) return r;
  const auto first = d_.begin() + static_cast<std::ptrdiff_t>(at);
  const auto last = first + d_[begin + 2 * k + 1] + 1;
  const auto it = std::lower_bound(first, last, low);
  r.at = static_cast<size_t>(it - d_.begin());
  r.found = it != last && *it == low;
  return r;
}

void CountRow::ReplaceSmall(uint32_t key, bool add) {
  uint32_t keys[kSmall + 1];
  size_t n = 0;
  bool placed = !add;
  ForEachOne([&](uint32_t k) {
    if (!placed && key < k) {
      keys[n++] = key;
      placed = true;
    }
    if (add || k != key) keys[n++] = k;
  });
  if (!placed) keys[n++] = key;
  SetOnes(std::span<const uint32_t>(keys, n), /*exact=*/false);
}

size_t CountRow::PutDelta(uint32_t from, uint32_t to, uint16_t* out) {
  if (const uint32_t d = to - from; d < kEscape) {
    out[0] = static_cast<uint16_t>(d);
    return 1;
  }
  out[0] = kEscape;
  out[1] = static_cast<uint16_t>(to);
  out[2] = static_cast<uint16_t>(to >> 16);
  return 3;
}

void CountRow::Splice(size_t from, size_t to, const uint16_t* words, size_t n) {
  const auto at = [&](size_t i) { return d_.begin() + static_cast<std::ptrdiff_t>(i); };
  if (n > to - from) {
    Grow(n - (to - from));
    d_.insert(at(to), n - (to - from), uint16_t{0});
  } else if (n < to - from) {
    d_.erase(at(from + n), at(to));
  }
  std::copy(words, words + n, at(from));
}

bool CountRow::ChangeDeltas(uint32_t key, bool add) {
  const size_t begin = OnesBegin(), n = ones();
  if (add ? n + 1 > kSmall : n <= 2) return false;  // past what deltas hold, or too few
  // The entry before `key`'s place (prev), the one at it (next: the first not below key),
  // where next's words begin and how many they are, and the one after next.
  uint32_t prev = 0, next = Word32(begin);
  size_t next_at = begin, next_len = 2, index = 0;
  while (next < key && index + 1 < n) {
    prev = next;
    next_at += next_len;
    if (d_[next_at] == kEscape) {
      next = Word32(next_at + 1);
      next_len = 3;
    } else {
      next += d_[next_at];
      next_len = 1;
    }
    ++index;
  }
  uint16_t words[8];
  size_t len = 0;
  if (add) {
    if (next < key) {  // after the last key
      len = PutDelta(next, key, words);
      Splice(next_at + next_len, next_at + next_len, words, len);
    } else if (index == 0) {  // a new first key, whole; the old first becomes its distance
      words[0] = static_cast<uint16_t>(key);
      words[1] = static_cast<uint16_t>(key >> 16);
      len = 2 + PutDelta(key, next, words + 2);
      Splice(next_at, next_at + next_len, words, len);
    } else {
      len = PutDelta(prev, key, words);
      len += PutDelta(key, next, words + len);
      Splice(next_at, next_at + next_len, words, len);
    }
  } else {  // `next` is the key; the one after it is re-encoded against what is before it
    size_t end = next_at + next_len;
    if (index + 1 < n) {
      const uint32_t after = d_[end] == kEscape ? Word32(end + 1) : next + d_[end];
      const size_t after_len = d_[end] == kEscape ? 3 : 1;
      if (index == 0) {
        words[0] = static_cast<uint16_t>(after);
        words[1] = static_cast<uint16_t>(after >> 16);
        len = 2;
      } else {
        len = PutDelta(prev, after, words);
      }
      end += after_len;
    }
    Splice(next_at, end, words, len);
  }
  const size_t now = add ? n + 1 : n - 1;
  SetWord32(2, kDeltas | static_cast<uint32_t>(now));
  if (d_.size() - begin >= 2 * now) LayOutAgain();  // distances too far apart to pay
  return true;
}

void CountRow::InsertOne(uint32_t key) {
  if (d_.empty()) d_.assign(4, 0);
  if (layout() == Layout::kDeltas && ChangeDeltas(key, true)) return;
  // A small row, or one of deltas growing past them (they hold at most kSmall keys).
  if (ones() < kSmall || layout() == Layout::kDeltas) return ReplaceSmall(key, true);
  const OneAt one = FindOne(key);
  const size_t begin = OnesBegin(), b = buckets();
  const auto at = [&](size_t i) { return d_.begin() + static_cast<std::ptrdiff_t>(i); };
  if (b == 0) {
    Grow(2);
    d_.insert(at(one.at), {static_cast<uint16_t>(key), static_cast<uint16_t>(key >> 16)});
    const size_t n = ones();
    if ((n & (n - 1)) == 0) LayOutAgain();  // a power of two: do buckets pay now?
    return;
  }
  if (one.in_bucket) {
    Grow(1);
    d_.insert(at(one.at), static_cast<uint16_t>(key));
    ++d_[begin + 2 * one.bucket + 1];
    return;
  }
  // A new bucket: its low half first (the buckets before it do not move), then the bucket.
  Grow(3);
  d_.insert(at(one.at), static_cast<uint16_t>(key));
  d_.insert(at(begin + 2 * one.bucket), {static_cast<uint16_t>(key >> 16), uint16_t{0}});
  SetWord32(2, static_cast<uint32_t>(b + 1));
}

void CountRow::EraseOne(const OneAt& one, uint32_t key) {
  if (layout() == Layout::kDeltas && ChangeDeltas(key, false)) return;
  if (ones() <= kSmall + 1) return ReplaceSmall(key, false);
  const size_t begin = OnesBegin(), b = buckets();
  const auto at = [&](size_t i) { return d_.begin() + static_cast<std::ptrdiff_t>(i); };
  if (b == 0) {
    d_.erase(at(one.at), at(one.at + 2));
    return;
  }
  d_.erase(at(one.at));
  uint16_t& n = d_[begin + 2 * one.bucket + 1];
  if (n > 0) {
    --n;
  } else {
    d_.erase(at(begin + 2 * one.bucket), at(begin + 2 * one.bucket + 2));
    SetWord32(2, static_cast<uint32_t>(b - 1));
  }
  if (!KeepBuckets(ones(), buckets())) LayOutAgain();
}

void CountRow::LayOutAgain() {
  std::vector<uint32_t> keys;
  keys.reserve(ones());
  ForEachOne([&](uint32_t k) { keys.push_back(k); });
  SetOnes(keys, /*exact=*/false);
}

void CountRow::InsertMany(size_t i, uint32_t key, uint32_t count) {
  if (d_.empty()) d_.assign(4, 0);
  Grow(4);
  d_.insert(d_.begin() + static_cast<std::ptrdiff_t>(4 + 4 * i),
            {static_cast<uint16_t>(key), static_cast<uint16_t>(key >> 16),
             static_cast<uint16_t>(count), static_cast<uint16_t>(count >> 16)});
  SetWord32(0, static_cast<uint32_t>(many() + 1));
}

void CountRow::EraseMany(size_t i) {
  const auto first = d_.begin() + static_cast<std::ptrdiff_t>(4 + 4 * i);
  d_.erase(first, first + 4);
  SetWord32(0, static_cast<uint32_t>(many() - 1));
}

void CountRow::SetOnes(std::span<const uint32_t> keys, bool exact) {
  if (d_.empty()) {
    if (keys.empty()) return;
    d_.assign(4, 0);
  }
  const size_t n = keys.size();
  size_t b = 0, escapes = 0;
  for (size_t i = 0; i < n; ++i) {
    b += i == 0 || keys[i] >> 16 != keys[i - 1] >> 16;
    escapes += i > 0 && keys[i] - keys[i - 1] >= kEscape;
  }
  // Words of each layout that may be used (none is smaller than whole keys when n < 2).
  const size_t whole = 2 * n;
  const size_t deltas = n >= 2 && n <= kSmall ? n + 1 + 2 * escapes : SIZE_MAX;
  const size_t bucketed = PreferBuckets(n, b) ? 2 * b + n : SIZE_MAX;
  const size_t ones_words = std::min({whole, deltas, bucketed});
  const size_t words = OnesBegin() + ones_words;
  // Room for `words`: exactly, or grown by a quarter (from the old size when it must grow);
  // a row that shrank by a third (into another layout, or cut) gives the rest back.
  size_t room = 0;
  if (d_.capacity() < words) {
    room = exact ? words : std::max(words, d_.size() + d_.size() / 4 + 4);
  } else if (d_.capacity() > words + words / 2 + 8) {
    room = exact ? words : words + words / 4 + 4;
  }
  if (room > 0) {
    std::vector<uint16_t> fresh;
    fresh.reserve(room);
    fresh.assign(d_.begin(), d_.begin() + static_cast<std::ptrdiff_t>(OnesBegin()));
    d_.swap(fresh);
  } else {
    d_.resize(OnesBegin());
  }
  const auto put32 = [&](uint32_t v) {
    d_.insert(d_.end(), {static_cast<uint16_t>(v), static_cast<uint16_t>(v >> 16)});
  };
  if (ones_words == whole) {
    SetWord32(2, 0);
    for (uint32_t key : keys) put32(key);
    ClearIfEmpty();
  } else if (ones_words == deltas) {
    SetWord32(2, kDeltas | static_cast<uint32_t>(n));
    put32(keys[0]);
    for (size_t i = 1; i < n; ++i) {
      uint16_t delta[3];
      d_.insert(d_.end(), delta, delta + PutDelta(keys[i - 1], keys[i], delta));
    }
  } else {
    SetWord32(2, static_cast<uint32_t>(b));
    for (size_t i = 0; i < n;) {
      size_t j = i;
      while (j < n && keys[j] >> 16 == keys[i] >> 16) ++j;
      d_.insert(d_.end(), {static_cast<uint16_t>(keys[i] >> 16), static_cast<uint16_t>(j - i - 1)});
      i = j;
    }
    for (uint32_t key : keys) d_.push_back(static_cast<uint16_t>(key));
  }
}

}  // namespace locus
