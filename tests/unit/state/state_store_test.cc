#include "state/state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace locus {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// A fresh directory per test, removed afterwards.
class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("locus_state_store_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    data_ = (dir_ / "state").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<StateStore> Open(bool read_only = false) {
    Result<std::unique_ptr<StateStore>> r = StateStore::Open(data_, read_only);
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? std::move(r.value()) : nullptr;
  }

  static std::vector<std::pair<std::string, std::string>> All(const StateReader& reader,
                                                              Space space) {
    std::vector<std::pair<std::string, std::string>> out;
    EXPECT_TRUE(reader
                    .Scan(space,
                          [&](std::string_view k, std::string_view v) {
                            out.emplace_back(std::string(k), std::string(v));
                          })
                    .ok());
    return out;
  }

  fs::path dir_;
  std::string data_;
};

TEST_F(StateStoreTest, OpenCreatesTheDirectoryAndEveryColumnFamily) {
  {
    std::unique_ptr<StateStore> store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->dir(), data_);
    EXPECT_TRUE(fs::is_directory(data_));
    for (Space space : kAllSpaces) {
      EXPECT_TRUE(All(*store, space).empty()) << SpaceName(space);
    }
    EXPECT_EQ(store->Offset("locus.events", 0), std::nullopt);
  }
  // A read-only open checks every family exists, so it proves they were created.
  std::unique_ptr<StateStore> ro = Open(/*read_only=*/true);
  ASSERT_NE(ro, nullptr);
  for (Space space : kAllSpaces) EXPECT_TRUE(All(*ro, space).empty()) << SpaceName(space);
}

TEST_F(StateStoreTest, CommittedBatchIsVisibleThroughGetScanAndOffset) {
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  {
    StateStore::Batch seed;
    seed.Put(Space::kPlaces, "old", "to be deleted");
    ASSERT_TRUE(store->Commit(seed).ok());
  }
  StateStore::Batch batch;
  batch.Put(Space::kPlaces, "p1", "place one");
  batch.Put(Space::kActivityPlace, "k", std::string("bin\0ary", 7));
  batch.Put(Space::kUserHistory, "u1", "history");
  batch.Put(Space::kPlaces, "p1", "place one, updated");  // last write in a batch wins
  batch.Delete(Space::kPlaces, "old");
  batch.SetOffset("locus.events", 2, 42);
  batch.SetOffset("locus.places", 0, 7);
  EXPECT_EQ(batch.entries(), 7u);
  ASSERT_TRUE(store->Commit(batch).ok());

  EXPECT_EQ(store->Get(Space::kPlaces, "p1"), "place one, updated");
  EXPECT_EQ(store->Get(Space::kActivityPlace, "k"), std::string("bin\0ary", 7));
  EXPECT_EQ(store->Get(Space::kUserHistory, "u1"), "history");
  EXPECT_EQ(store->Get(Space::kPlaces, "old"), std::nullopt);
  EXPECT_EQ(store->Get(Space::kUserHistory, "p1"), std::nullopt) << "spaces are separate";
  EXPECT_THAT(All(*store, Space::kPlaces), ElementsAre(Pair("p1", "place one, updated")));
  EXPECT_EQ(store->Offset("locus.events", 2), 42);
  EXPECT_EQ(store->Offset("locus.places", 0), 7);
  EXPECT_EQ(store->Offset("locus.events", 0), std::nullopt);
  EXPECT_EQ(store->Offset("locus.requests", 2), std::nullopt);
  // Offsets live in the meta space next to the state they came with.
  EXPECT_TRUE(store->Get(Space::kMeta, StateStore::OffsetKey("locus.events", 2)).has_value());

  // A later offset replaces the earlier one.
  StateStore::Batch next;
  next.SetOffset("locus.events", 2, 43);
  ASSERT_TRUE(store->Commit(next).ok());
  EXPECT_EQ(store->Offset("locus.events", 2), 43);
}

TEST_F(StateStoreTest, ScanVisitsKeysInBytewiseOrder) {
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  StateStore::Batch batch;
  for (const char* key : {"b", "a", "ab", "\xFF", "B", "aa", "0"}) {
    batch.Put(Space::kActivityPlace, key, std::string("v") + key);
  }
  batch.Put(Space::kActivityPlace, std::string("\0z", 2), "nul");
  ASSERT_TRUE(store->Commit(batch).ok());
  std::vector<std::string> keys;
  for (const auto& [k, v] : All(*store, Space::kActivityPlace)) keys.push_back(k);
  EXPECT_THAT(keys, ElementsAre(std::string("\0z", 2), "0", "B", "a", "aa", "ab", "b", "\xFF"));
}

TEST_F(StateStoreTest, ScanFromSeeksAndVisitsInOrderUntilToldToStopBeforeAndAfterAFlush) {
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  StateStore::Batch batch;
  for (const char* key : {"b", "ab", "a", "abd", "ac", "abc"})
    batch.Put(Space::kCovisits, key, key);
  batch.Put(Space::kTransitions, "abe", "other space");
  ASSERT_TRUE(store->Commit(batch).ok());
  for (int flushed = 0; flushed < 2; ++flushed) {
    SCOPED_TRACE(flushed ? "from SST files" : "from the memtable");
    std::vector<std::string> seen;
    auto all = [&](std::string_view key, std::string_view value) {
      EXPECT_EQ(key, value);
      seen.emplace_back(key);
      return true;
    };
    ASSERT_TRUE(store->ScanFrom(Space::kCovisits, "ab", all).ok());
    EXPECT_EQ(seen, (std::vector<std::string>{"ab", "abc", "abd", "ac", "b"}));
    seen.clear();
    ASSERT_TRUE(store
                    ->ScanFrom(Space::kCovisits, "abb",
                               [&](std::string_view key, std::string_view) {
                                 seen.emplace_back(key);
                                 return seen.size() < 2;
                               })
                    .ok());
    EXPECT_EQ(seen, (std::vector<std::string>{"abc", "abd"}));
    seen.clear();
    ASSERT_TRUE(store->ScanFrom(Space::kCovisits, "zz", all).ok());
    EXPECT_TRUE(seen.empty());
    ASSERT_TRUE(store->ScanFrom(Space::kCovisits, "", all).ok());
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "ab", "abc", "abd", "ac", "b"}));
    ASSERT_TRUE(store->FlushSpaces({Space::kCovisits, Space::kTransitions}).ok());
  }
}

TEST_F(StateStoreTest, MemoryUsageCountsWhatTheMemtablesHold) {
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  const StateStore::Memory empty = store->MemoryUsage();
  StateStore::Batch batch;
  const std::string value(1000, 'v');
  for (int i = 0; i < 4000; ++i)
    batch.Put(Space::kActivityPlace, "key-" + std::to_string(i), value);
  ASSERT_TRUE(store->Commit(batch).ok());
  const StateStore::Memory held = store->MemoryUsage();
  // 4 MB written and not flushed: the memtables hold at least that much more.
  EXPECT_GE(held.memtables, empty.memtables + 4000u * 1000u);
  EXPECT_EQ(held.total(), held.memtables + held.table_readers + held.block_cache);
}

TEST_F(StateStoreTest, ReopeningAfterCloseKeepsEverything) {
  {
    std::unique_ptr<StateStore> store = Open();
    ASSERT_NE(store, nullptr);
    StateStore::Batch batch;
    for (Space space : kAllSpaces) {
      batch.Put(space, std::string("key-") + SpaceName(space), SpaceName(space));
    }
    batch.SetOffset("locus.events", 1, 1000);
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  for (Space space : kAllSpaces) {
    EXPECT_EQ(store->Get(space, std::string("key-") + SpaceName(space)), SpaceName(space));
  }
  EXPECT_EQ(store->Offset("locus.events", 1), 1000);
}

TEST_F(StateStoreTest, DeferredCompactionsWaitForEnableCompactions) {
  {
    auto store = StateStore::Open(data_);
    ASSERT_TRUE(store.ok()) << store.error();
    EXPECT_FALSE((*store)->compactions_deferred());
  }
  auto store = StateStore::Open(data_, /*read_only=*/false, /*defer_compactions=*/true);
  ASSERT_TRUE(store.ok()) << store.error();
  EXPECT_TRUE((*store)->compactions_deferred());
  StateStore::Batch batch;
  batch.Put(Space::kPlaces, "p1", "v");
  ASSERT_TRUE((*store)->Commit(batch).ok());
  ASSERT_TRUE((*store)->EnableCompactions().ok());
  EXPECT_FALSE((*store)->compactions_deferred());
  EXPECT_TRUE((*store)->EnableCompactions().ok());  // again: nothing to do
}

TEST_F(StateStoreTest, ReadOnlyOpenWorksOnADirectoryNothingHolds) {
  {
    std::unique_ptr<StateStore> store = Open();
    ASSERT_NE(store, nullptr);
    StateStore::Batch batch;
    batch.Put(Space::kPlaces, "p1", "one");
    batch.SetOffset("locus.places", 0, 1);
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  std::unique_ptr<StateStore> ro = Open(/*read_only=*/true);
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ro->Get(Space::kPlaces, "p1"), "one");
  EXPECT_EQ(ro->Offset("locus.places", 0), 1);
  EXPECT_THAT(All(*ro, Space::kPlaces), ElementsAre(Pair("p1", "one")));
}

TEST_F(StateStoreTest, ReadOnlyOpenOfANonLocusDirectoryFailsClearly) {
  fs::create_directories(data_);
  std::ofstream(fs::path(data_) / "notes.txt") << "not a database";
  Result<std::unique_ptr<StateStore>> r = StateStore::Open(data_, /*read_only=*/true);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr(data_));
  EXPECT_THAT(r.error(), HasSubstr("not a locus data directory"));
  // Nothing was created there.
  EXPECT_FALSE(fs::exists(fs::path(data_) / "CURRENT"));

  Result<std::unique_ptr<StateStore>> missing =
      StateStore::Open((dir_ / "does-not-exist").string(), /*read_only=*/true);
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(fs::exists(dir_ / "does-not-exist"));
}

TEST_F(StateStoreTest, ACorruptOffsetFailsTheOpenNamingIt) {
  {
    std::unique_ptr<StateStore> store = Open();
    ASSERT_NE(store, nullptr);
    StateStore::Batch batch;
    batch.Put(Space::kMeta, StateStore::OffsetKey("locus.events", 3), "x");  // not an int64
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  // Reading such a partition from its start would count its events twice: refuse instead.
  Result<std::unique_ptr<StateStore>> r = StateStore::Open(data_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("corrupt offset offset/locus.events/3"));
}

TEST_F(StateStoreTest, SecondWriterCannotOpenAHeldDirectory) {
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  Result<std::unique_ptr<StateStore>> second = StateStore::Open(data_);
  EXPECT_FALSE(second.ok());
  EXPECT_THAT(second.error(), HasSubstr(data_));
}

TEST_F(StateStoreTest, UncommittedBatchLeavesNothingBehind) {
  {
    std::unique_ptr<StateStore> store = Open();
    ASSERT_NE(store, nullptr);
    StateStore::Batch batch;
    batch.Put(Space::kPlaces, "p1", "never committed");
    batch.SetOffset("locus.places", 0, 99);
    EXPECT_EQ(store->Get(Space::kPlaces, "p1"), std::nullopt);
    EXPECT_EQ(store->Offset("locus.places", 0), std::nullopt);
  }
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Get(Space::kPlaces, "p1"), std::nullopt);
  EXPECT_EQ(store->Offset("locus.places", 0), std::nullopt);
  for (Space space : kAllSpaces) EXPECT_TRUE(All(*store, space).empty()) << SpaceName(space);
}

TEST_F(StateStoreTest, CommitEmptiesTheBatch) {
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  StateStore::Batch batch;
  batch.Put(Space::kPlaces, "p1", "one");
  ASSERT_TRUE(store->Commit(batch).ok());
  EXPECT_EQ(batch.entries(), 0u);
  // Reusing the batch does not replay the earlier change.
  StateStore::Batch del;
  del.Delete(Space::kPlaces, "p1");
  ASSERT_TRUE(store->Commit(del).ok());
  ASSERT_TRUE(store->Commit(batch).ok());
  EXPECT_EQ(store->Get(Space::kPlaces, "p1"), std::nullopt);
}

// A batch keeps its buffers across commits, and gives back those of one far larger than the
// next (a bulk load of places): either way each commit writes its own entries only.
TEST_F(StateStoreTest, ABatchReusedAfterAFarLargerOneWritesOnlyItsOwnEntries) {
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  StateStore::Batch batch;
  const std::string big(64 * 1024, 'x');
  for (int i = 0; i < 64; ++i) batch.Put(Space::kPlaces, "big" + std::to_string(i), big);
  batch.SetOffset("locus.places", 0, 64);
  ASSERT_TRUE(store->Commit(batch).ok());
  StateStore::Batch del;
  del.Delete(Space::kPlaces, "big0");
  ASSERT_TRUE(store->Commit(del).ok());
  for (int round = 0; round < 3; ++round) {
    batch.Put(Space::kUserHistory, "u" + std::to_string(round), "small");
    batch.SetOffset("locus.events", 0, round + 1);
    ASSERT_TRUE(store->Commit(batch).ok());
    EXPECT_EQ(batch.entries(), 0u);
    EXPECT_EQ(store->Offset("locus.events", 0), round + 1);
  }
  EXPECT_EQ(store->Get(Space::kPlaces, "big0"), std::nullopt);
  EXPECT_EQ(store->Get(Space::kPlaces, "big1"), big);
  EXPECT_EQ(store->Offset("locus.places", 0), 64);
  EXPECT_THAT(All(*store, Space::kUserHistory),
              ElementsAre(Pair("u0", "small"), Pair("u1", "small"), Pair("u2", "small")));
}

TEST_F(StateStoreTest, ConsistentViewDoesNotSeeLaterCommits) {
  std::unique_ptr<StateStore> store = Open();
  ASSERT_NE(store, nullptr);
  StateStore::Batch batch;
  batch.Put(Space::kPlaces, "p1", "before");
  ASSERT_TRUE(store->Commit(batch).ok());
  std::unique_ptr<StateReader> view = store->ConsistentView();
  batch.Put(Space::kPlaces, "p1", "after");
  batch.Put(Space::kPlaces, "p2", "new");
  ASSERT_TRUE(store->Commit(batch).ok());
  EXPECT_EQ(view->Get(Space::kPlaces, "p1"), "before");
  EXPECT_EQ(view->Get(Space::kPlaces, "p2"), std::nullopt);
  EXPECT_THAT(All(*view, Space::kPlaces), ElementsAre(Pair("p1", "before")));
  // Seeks see the snapshot too, and stop when told.
  batch.Put(Space::kPlaces, "p0", "later");
  ASSERT_TRUE(store->Commit(batch).ok());
  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_TRUE(view->ScanFrom(Space::kPlaces, "p",
                             [&](std::string_view key, std::string_view value) {
                               seen.emplace_back(key, value);
                               return true;
                             })
                  .ok());
  EXPECT_THAT(seen, ElementsAre(Pair("p1", "before")));
  seen.clear();
  ASSERT_TRUE(store
                  ->ScanFrom(Space::kPlaces, "p0",
                             [&](std::string_view key, std::string_view) {
                               seen.emplace_back(key, "");
                               return false;
                             })
                  .ok());
  EXPECT_THAT(seen, ElementsAre(Pair("p0", "")));
  EXPECT_EQ(store->Get(Space::kPlaces, "p1"), "after");
}

}  // namespace
}  // namespace locus
