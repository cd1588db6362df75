#include "src/core/count_row.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <utility>
#include <vector>

namespace locus {
namespace {

TEST(CountRowTest, CountsLikeAMapWhateverTheOrderOfAdds) {
  CountRow row;
  std::map<uint32_t, int64_t> expected;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    const uint32_t key = rng() % 300;
    const int64_t delta = 1 + static_cast<int64_t>(rng() % 3);
    row.Add(key, delta);
    expected[key] += delta;
  }
  ASSERT_EQ(row.size(), expected.size());
  std::map<uint32_t, int64_t> iterated;
  for (size_t i = 0; i < row.size(); ++i) iterated[row.key(i)] = row.count(i);
  EXPECT_EQ(iterated, expected);
  for (const auto& [key, n] : expected) EXPECT_EQ(row.Get(key), n);
  EXPECT_EQ(row.Get(300), 0);
  EXPECT_EQ(CountRow().Get(0), 0);
}

TEST(CountRowTest, FromUnsortedEqualsTheSameAdds) {
  const std::vector<std::pair<uint32_t, int64_t>> entries = {{9, 2}, {1, 5}, {4, 1}, {0, 3}};
  const CountRow built = CountRow::FromUnsorted(entries);
  CountRow added;
  for (const auto& [key, n] : entries) added.Add(key, n);
  ASSERT_EQ(built.size(), added.size());
  for (size_t i = 0; i < built.size(); ++i) {
    EXPECT_EQ(built.key(i), added.key(i));
    EXPECT_EQ(built.count(i), added.count(i));
  }
  EXPECT_EQ(built.key(0), 0u);
  EXPECT_EQ(built.Get(9), 2);
}

TEST(CountRowTest, ACountMovesBetweenOnceAndMoreAndLeavesAtZero) {
  CountRow row;
  row.Add(5, 1);
  row.Add(2, 1);
  row.Add(5, 1);  // 5 is now counted more than once
  row.Add(8, 3);
  EXPECT_EQ(row.Get(5), 2);
  EXPECT_EQ(row.Get(2), 1);
  EXPECT_EQ(row.Get(8), 3);
  row.Add(8, -2);  // back to once
  row.Add(5, -2);  // gone
  row.Add(2, -1);  // gone
  EXPECT_EQ(row.Get(8), 1);
  EXPECT_EQ(row.Get(5), 0);
  EXPECT_EQ(row.Get(2), 0);
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row.key(0), 8u);
  row.Add(8, -1);
  EXPECT_TRUE(row.empty());
  row.Add(1, 0);
  EXPECT_TRUE(row.empty()) << "adding nothing makes no entry";
  EXPECT_EQ(CountRow::FromUnsorted({{3, 0}}).size(), 0u);
}

TEST(CountRowTest, ACountSaturatesInsteadOfWrapping) {
  CountRow row;
  row.Add(3, CountRow::kMaxCount - 1);
  row.Add(3, 5);
  EXPECT_EQ(row.Get(3), CountRow::kMaxCount);
  const CountRow built = CountRow::FromUnsorted({{1, CountRow::kMaxCount + 10}});
  EXPECT_EQ(built.Get(1), CountRow::kMaxCount);
}

// Every entry as ForEach and key(i) / count(i) see it; the two must agree.
std::map<uint32_t, int64_t> Entries(const CountRow& row) {
  std::map<uint32_t, int64_t> out;
  size_t i = 0;
  row.ForEach([&](uint32_t key, int64_t count) {
    EXPECT_EQ(row.key(i), key) << i;
    EXPECT_EQ(row.count(i), count) << i;
    EXPECT_TRUE(out.emplace(key, count).second) << "key " << key << " twice";
    ++i;
  });
  EXPECT_EQ(i, row.size());
  return out;
}

TEST(CountRowTest, CountsLikeAMapThroughEveryLayoutAndBack) {
  // Keys spread over 2^20 (16 high halves, as at 1M places), added and taken away, so the
  // row goes from whole keys to deltas, into buckets of low halves, grows, loses buckets and
  // goes back.
  CountRow row;
  std::map<uint32_t, int64_t> expected;
  std::mt19937 rng(11);
  bool was_bucketed = false, went_back = false, had_deltas = false;
  for (int round = 0; round < 6; ++round) {
    const int adds = round % 2 == 0 ? 3000 : 0;
    for (int i = 0; i < adds; ++i) {
      const uint32_t key = rng() % (1u << 20);
      const int64_t delta = rng() % 10 == 0 ? 2 : 1;
      row.Add(key, delta);
      expected[key] += delta;
      was_bucketed = was_bucketed || row.layout() == CountRow::Layout::kBuckets;
      had_deltas = had_deltas || row.layout() == CountRow::Layout::kDeltas;
    }
    // Take most entries away again, one count at a time, some to zero.
    std::vector<uint32_t> keys;
    for (const auto& [key, n] : expected) keys.push_back(key);
    std::shuffle(keys.begin(), keys.end(), rng);
    // The last round takes all of most entries, leaving 20.
    const bool last = round == 5;
    const size_t take = last ? keys.size() - 20 : keys.size() * 9 / 10;
    for (size_t i = 0; i < take; ++i) {
      const int64_t delta = last ? -expected[keys[i]] : -1;
      row.Add(keys[i], delta);
      if ((expected[keys[i]] += delta) == 0) expected.erase(keys[i]);
      went_back = went_back || (was_bucketed && row.layout() != CountRow::Layout::kBuckets);
      if (i % 500 == 0) {
        ASSERT_EQ(Entries(row), expected) << "round " << round << " step " << i;
      }
    }
    ASSERT_EQ(Entries(row), expected) << "round " << round;
    for (const auto& [key, n] : expected) ASSERT_EQ(row.Get(key), n) << key;
    for (int i = 0; i < 200; ++i) {
      const uint32_t key = rng() % (1u << 20);
      ASSERT_EQ(row.Get(key), expected.contains(key) ? expected[key] : 0) << key;
    }
  }
  EXPECT_TRUE(had_deltas) << "the row never took deltas";
  EXPECT_TRUE(was_bucketed) << "the row never took buckets";
  EXPECT_TRUE(went_back) << "the row never left its buckets";
  for (auto [key, n] : expected) row.Add(key, -n);
  EXPECT_TRUE(row.empty());
}

TEST(CountRowTest, KeysCountedOnceShareTheirHighHalfInAboutTwoBytesEach) {
  // 1,000 keys counted once among 2^20 (a popular place's co-visit row at 1M places), and
  // 20 counted more: 2 bytes a key counted once, not 4.
  std::mt19937 rng(5);
  std::vector<std::pair<uint32_t, int64_t>> entries;
  std::map<uint32_t, int64_t> unique;
  while (unique.size() < 1020) unique.emplace(rng() % (1u << 20), unique.size() < 20 ? 3 : 1);
  for (const auto& e : unique) entries.push_back(e);
  CountRow added;
  for (const auto& [key, n] : entries) added.Add(key, n);
  const CountRow built = CountRow::FromUnsorted(entries);
  for (const CountRow* row : std::vector<const CountRow*>{&added, &built}) {
    EXPECT_EQ(row->layout(), CountRow::Layout::kBuckets);
    EXPECT_EQ(Entries(*row), unique);
    const size_t least = 8 + 8 * 20 + 4 * 16 + 2 * 1000;
    EXPECT_LE(row->heap_bytes(), least + least / 4 + 8) << "grown by a quarter at most";
  }
  // Keys that share no high half and lie far apart stay whole: 4 bytes each, not 6.
  CountRow spread;
  for (uint32_t k = 0; k < 200; ++k) spread.Add(k << 16, 1);
  EXPECT_EQ(spread.layout(), CountRow::Layout::kWhole);
  EXPECT_EQ(spread.size(), 200u);
  EXPECT_EQ(spread.Get(7u << 16), 1);
  EXPECT_LE(spread.heap_bytes(), (8 + 4 * 200) * 5 / 4 + 8);
}

TEST(CountRowTest, ASmallRowKeepsItsKeysAsDistancesInAboutTwoBytesEach) {
  // 40 keys counted once among 2^20 (a quiet place's co-visit row at 1M places): the first
  // whole, then distances of ~26k in 2 bytes each, where whole keys took 4.
  std::mt19937 rng(9);
  std::map<uint32_t, int64_t> unique;
  while (unique.size() < 40) unique.emplace(rng() % (1u << 20), 1);
  CountRow row;
  for (const auto& [key, n] : unique) row.Add(key, n);
  EXPECT_EQ(row.layout(), CountRow::Layout::kDeltas);
  EXPECT_EQ(Entries(row), unique);
  EXPECT_LE(row.heap_bytes(), (8 + 2 * 41) * 5 / 4 + 8);
  // A distance that does not fit in 2 bytes is written whole; the row still counts right.
  row.Add(1u << 30, 1);
  unique[1u << 30] = 1;
  EXPECT_EQ(row.layout(), CountRow::Layout::kDeltas);
  EXPECT_EQ(Entries(row), unique);
  EXPECT_EQ(row.Get(1u << 30), 1);
  EXPECT_EQ(row.Get((1u << 30) - 1), 0);
  // Keys counted more stay apart; taking a key away keeps the others.
  row.Add(unique.begin()->first, 2);
  unique.begin()->second = 3;
  row.Add(std::next(unique.begin())->first, -1);
  unique.erase(std::next(unique.begin()));
  EXPECT_EQ(Entries(row), unique);
  EXPECT_EQ(row.ones(), 39u);
  EXPECT_EQ(row.size(), 40u);
}

TEST(CountRowTest, ASmallRowCountsLikeAMapWhateverTheDistancesBetweenItsKeys) {
  // Rows of up to ~70 keys, near and far apart (distances of 2 bytes and escapes), changed
  // one count at a time at the front, in the middle and at the end, checked after each.
  std::mt19937 rng(13);
  for (const uint32_t range : {1u << 12, 1u << 20, 0xFFFFFFFFu}) {
    CountRow row;
    std::map<uint32_t, int64_t> expected;
    for (int step = 0; step < 6000; ++step) {
      const bool take = !expected.empty() && (expected.size() > 66 || rng() % 3 == 0);
      uint32_t key;
      if (take) {
        auto it = expected.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(rng() % expected.size()));
        key = it->first;
      } else {
        key = rng() % 8 == 0 ? static_cast<uint32_t>(rng()) : static_cast<uint32_t>(rng() % range);
      }
      const int64_t delta = take ? -1 : 1;
      row.Add(key, delta);
      if ((expected[key] += delta) == 0) expected.erase(key);
      ASSERT_EQ(Entries(row), expected) << "range " << range << " step " << step;
      ASSERT_EQ(row.Get(key), expected.contains(key) ? expected[key] : 0);
    }
  }
}

TEST(CountRowTest, KeepOnesWorksOnABucketedRow) {
  CountRow row;
  std::mt19937 rng(3);
  std::map<uint32_t, int64_t> expected;
  while (expected.size() < 500) {
    const uint32_t key = rng() % (1u << 19);
    if (expected.emplace(key, 1).second) row.Add(key, 1);
  }
  row.Add(expected.begin()->first, 1);
  expected.begin()->second = 2;
  ASSERT_EQ(row.layout(), CountRow::Layout::kBuckets);
  std::vector<uint32_t> dropped;
  row.KeepOnes(
      100, [](uint32_t k) { return uint64_t{k}; }, [&](uint32_t k) { dropped.push_back(k); });
  EXPECT_EQ(row.ones(), 100u);
  EXPECT_EQ(dropped.size(), 399u);
  // The lowest-ranked (here the lowest keys) stay, besides the one counted more.
  std::map<uint32_t, int64_t> kept;
  for (const auto& [key, n] : expected) {
    if (n > 1 || kept.size() < 101) kept.emplace(key, n);
  }
  EXPECT_EQ(Entries(row), kept);
  row.KeepOnes(
      10, [](uint32_t k) { return uint64_t{k}; }, [](uint32_t) {});
  EXPECT_NE(row.layout(), CountRow::Layout::kBuckets) << "10 keys take no buckets";
  EXPECT_EQ(row.size(), 11u);
}

TEST(CountRowTest, KeepOnesKeepsTheLowestRankedOnceCountedAndEveryEntryCountedMore) {
  CountRow row;
  for (uint32_t k = 10; k < 20; ++k) row.Add(k, 1);  // counted once
  row.Add(3, 5);
  row.Add(25, 2);
  // Rank: the reverse of the key, so the highest keys stay.
  std::vector<uint32_t> dropped;
  row.KeepOnes(
      4, [](uint32_t k) { return uint64_t{100} - k; }, [&](uint32_t k) { dropped.push_back(k); });
  std::sort(dropped.begin(), dropped.end());
  EXPECT_EQ(dropped, (std::vector<uint32_t>{10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(row.size(), 6u);
  EXPECT_EQ(row.ones(), 4u);
  EXPECT_EQ(row.Get(3), 5);
  EXPECT_EQ(row.Get(25), 2);
  for (uint32_t k = 16; k < 20; ++k) EXPECT_EQ(row.Get(k), 1) << k;
  EXPECT_EQ(row.Get(12), 0);
  // Still a working row: a kept key counts on, a dropped one comes back once.
  row.Add(19, 1);
  row.Add(12, 1);
  EXPECT_EQ(row.Get(19), 2);
  EXPECT_EQ(row.Get(12), 1);
  // Keeping as many as there are changes nothing; keeping none leaves those counted more.
  dropped.clear();
  row.KeepOnes(
      row.ones(), [](uint32_t) { return uint64_t{0}; }, [&](uint32_t k) { dropped.push_back(k); });
  EXPECT_TRUE(dropped.empty());
  row.KeepOnes(
      0, [](uint32_t) { return uint64_t{0}; }, [&](uint32_t k) { dropped.push_back(k); });
  EXPECT_EQ(dropped.size(), 4u);
  EXPECT_EQ(row.size(), 3u);
  EXPECT_EQ(row.Get(19), 2);
  CountRow ones_only;
  ones_only.Add(7, 1);
  ones_only.KeepOnes(
      0, [](uint32_t) { return uint64_t{0}; }, [](uint32_t) {});
  EXPECT_TRUE(ones_only.empty());
}

}  // namespace
}  // namespace locus
