#include "src/engine/writer_priority_mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>

namespace locus {
namespace {

TEST(WriterPriorityMutexTest, ReadersShareItAndAWriterExcludesThem) {
  WriterPriorityMutex mu;
  std::shared_lock a(mu);
  {
    std::shared_lock b(mu, std::try_to_lock);
    EXPECT_TRUE(b.owns_lock());
  }
  EXPECT_FALSE(mu.try_lock());
  a.unlock();
  std::unique_lock w(mu);
  EXPECT_FALSE(mu.try_lock_shared());
}

// The property the engine relies on: readers arriving while a writer waits do not get in
// before it, so a stream of overlapping answers cannot starve ingest.
TEST(WriterPriorityMutexTest, AWaitingWriterHoldsBackNewReaders) {
  WriterPriorityMutex mu;
  std::shared_lock reader(mu);
  std::atomic<bool> wrote{false};
  std::thread writer([&] {
    std::unique_lock lock(mu);
    wrote = true;
  });
  // Once the writer waits, a new reader cannot get in (waits up to a minute for the writer to
  // start waiting; until then try_lock_shared succeeds and is released again).
  bool held_back = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!held_back && std::chrono::steady_clock::now() < deadline) {
    if (mu.try_lock_shared()) {
      mu.unlock_shared();
      std::this_thread::yield();
    } else {
      held_back = true;
    }
  }
  EXPECT_TRUE(held_back);
  EXPECT_FALSE(wrote.load()) << "the writer got in while a reader held the lock";
  reader.unlock();
  writer.join();
  EXPECT_TRUE(wrote.load());
  EXPECT_TRUE(mu.try_lock_shared());
  mu.unlock_shared();
}

}  // namespace
}  // namespace locus
