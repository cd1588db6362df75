#include "src/core/entry_index.h"

#include "src/core/types.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace locus {
namespace {

struct Item {
  PlaceId id;
};

// Agrees with a std::unordered_map of the same entries for every id ever used.
void ExpectSame(const EntryIndex<Item>& index,
                const std::unordered_map<PlaceId, const Item*>& reference,
                const std::vector<std::unique_ptr<Item>>& all) {
  ASSERT_EQ(index.size(), reference.size());
  for (const auto& item : all) {
    auto it = reference.find(item->id);
    EXPECT_EQ(index.Lookup(item->id), it == reference.end() ? nullptr : it->second)
        << item->id.str();
  }
  // The same lookups as one run, each answered once and in order.
  size_t next = 0;
  index.LookupEach(
      all.size(), [&](size_t i) -> const PlaceId& { return all[i]->id; },
      [&](size_t i, const Item* found) {
        ASSERT_EQ(i, next++);
        auto it = reference.find(all[i]->id);
        EXPECT_EQ(found, it == reference.end() ? nullptr : it->second) << all[i]->id.str();
      });
  EXPECT_EQ(next, all.size());
}

TEST(EntryIndexTest, InsertingARunFindsEachAsInsertingOneByOne) {
  EntryIndex<Item> index;
  std::vector<std::unique_ptr<Item>> all;
  std::unordered_map<PlaceId, const Item*> reference;
  // Two runs (the second grows the index from where the first left it), then one by one.
  for (int run : {0, 1, 2}) {
    const size_t from = all.size();
    for (int i = 0; i < (run == 0 ? 3 : 3000); ++i) {
      all.push_back(std::make_unique<Item>(Item{PlaceId("r" + std::to_string(all.size()))}));
      reference[all.back()->id] = all.back().get();
    }
    if (run < 2) {
      index.InsertEach(all.size() - from, [&](size_t i) { return all[from + i].get(); });
    } else {
      for (size_t i = from; i < all.size(); ++i) index.Insert(all[i].get());
    }
    ExpectSame(index, reference, all);
  }
  std::vector<std::unique_ptr<Item>> absent;
  absent.push_back(std::make_unique<Item>(Item{PlaceId("r9999")}));
  ExpectSame(index, reference, absent);
}

TEST(EntryIndexTest, ReservingKeepsWhatIsHeldAndFindsWhatComesAfter) {
  EntryIndex<Item> index;
  std::vector<std::unique_ptr<Item>> all;
  std::unordered_map<PlaceId, const Item*> reference;
  auto add = [&](int i) {
    char id[16];
    std::snprintf(id, sizeof id, "p%d", i);
    all.push_back(std::make_unique<Item>(Item{PlaceId(id)}));
    index.Insert(all.back().get());
    reference[all.back()->id] = all.back().get();
  };
  index.Reserve(3000);  // empty, then sized for more than it gets below
  for (int i = 0; i < 100; ++i) add(i);
  index.Reserve(10);  // smaller than held: nothing changes
  ExpectSame(index, reference, all);
  index.Reserve(5000);  // grows with entries held
  for (int i = 100; i < 4000; ++i) add(i);
  ExpectSame(index, reference, all);
}

TEST(EntryIndexTest, FindsWhatWasInsertedAndNothingErased) {
  EntryIndex<Item> index;
  EXPECT_EQ(index.Lookup(PlaceId("none")), nullptr);
  const PlaceId none("none");
  int calls = 0;
  index.LookupEach(
      3, [&](size_t) -> const PlaceId& { return none; },
      [&](size_t, const Item* found) {
        EXPECT_EQ(found, nullptr);
        ++calls;
      });
  EXPECT_EQ(calls, 3);
  index.Erase(PlaceId("none"));  // nothing to erase in an empty index
  std::vector<std::unique_ptr<Item>> all;
  std::unordered_map<PlaceId, const Item*> reference;
  for (int i = 0; i < 5000; ++i) {
    all.push_back(std::make_unique<Item>(Item{PlaceId("p" + std::to_string(i))}));
    index.Insert(all.back().get());
    reference[all.back()->id] = all.back().get();
  }
  ExpectSame(index, reference, all);
  // Erase in a scattered order (runs of probes get holes in their middle), then give some back
  // as new entries at new addresses.
  uint64_t r = 42;
  for (int i = 0; i < 4000; ++i) {
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
    const PlaceId& id = all[static_cast<size_t>(r >> 33) % all.size()]->id;
    index.Erase(id);
    reference.erase(id);
    if (i % 500 == 0) ExpectSame(index, reference, all);
  }
  ExpectSame(index, reference, all);
  for (int i = 0; i < 5000; i += 3) {
    const PlaceId id("p" + std::to_string(i));
    if (reference.contains(id)) continue;
    all.push_back(std::make_unique<Item>(Item{id}));
    index.Insert(all.back().get());
    reference[id] = all.back().get();
  }
  ExpectSame(index, reference, all);
}

}  // namespace
}  // namespace locus
