// RequestWorkers with a source that is a plain queue: nothing here times anything; waits have
// generous limits that only stop a hang.
#include "consumers/request_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace locus::kafka {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A queue of messages standing in for the requests topic; counts takes and checks that no two
// workers take at once.
class FakeSource {
 public:
  void Push(int n) {
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) {
      RequestMessage m;
      m.topic = "locus.requests";
      m.partition = 0;
      m.offset = next_offset_++;
      m.value = "request-" + std::to_string(m.offset);
      queue_.push_back(std::move(m));
    }
    cv_.notify_all();
  }
  std::optional<RequestMessage> Take(int timeout_ms) {
    if (taking_.fetch_add(1) != 0) overlapping_takes_++;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, milliseconds(timeout_ms), [this] { return !queue_.empty(); });
    std::optional<RequestMessage> out;
    if (!queue_.empty()) {
      out = std::move(queue_.front());
      queue_.pop_front();
      if (out->offset != last_taken_ + 1) out_of_order_++;
      last_taken_ = out->offset;
      taken_++;
    }
    taking_--;
    return out;
  }
  RequestWorkers::Source AsSource() {
    return [this](int timeout_ms) { return Take(timeout_ms); };
  }
  int64_t taken() const {
    std::lock_guard lock(mu_);
    return taken_;
  }
  size_t left() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }
  std::atomic<int> overlapping_takes_{0};
  std::atomic<int> out_of_order_{0};

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<RequestMessage> queue_;
  int64_t next_offset_ = 0;
  int64_t last_taken_ = -1;
  int64_t taken_ = 0;
  std::atomic<int> taking_{0};
};

// Handlers that block until opened, and count who is inside.
class Gate {
 public:
  void Enter() {
    std::unique_lock lock(mu_);
    ++inside_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    --inside_;
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // True once `n` handlers are inside at the same time (false after a minute).
  bool AwaitInside(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, seconds(60), [&] { return inside_ >= n; });
  }
  int inside() const {
    std::lock_guard lock(mu_);
    return inside_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int inside_ = 0;
};

// Handled messages by offset, counted.
class Handled {
 public:
  void Add(const RequestMessage& m) {
    std::lock_guard lock(mu_);
    ++count_[m.offset];
    cv_.notify_all();
  }
  bool AwaitTotal(int64_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, seconds(60), [&] { return Total() >= n; });
  }
  std::map<int64_t, int> counts() const {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  int64_t Total() const {
    int64_t n = 0;
    for (const auto& [offset, c] : count_) n += c;
    return n;
  }
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, int> count_;
};

TEST(RequestWorkersTest, HandlesEveryMessageExactlyOnceTakingThemOneAtATimeInOrder) {
  FakeSource source;
  Handled handled;
  RequestWorkers workers(4, source.AsSource(), [&](const RequestMessage& m) { handled.Add(m); });
  source.Push(2000);
  ASSERT_TRUE(handled.AwaitTotal(2000));
  workers.Stop(milliseconds(0));
  const std::map<int64_t, int> counts = handled.counts();
  ASSERT_EQ(counts.size(), 2000u);
  for (const auto& [offset, n] : counts) EXPECT_EQ(n, 1) << "offset " << offset;
  EXPECT_EQ(workers.handled(), 2000);
  EXPECT_EQ(source.overlapping_takes_.load(), 0) << "two workers were inside the source at once";
  EXPECT_EQ(source.out_of_order_.load(), 0);
}

TEST(RequestWorkersTest, AnswersInParallelAndTakesOnlyWhatFreeWorkersCanHold) {
  FakeSource source;
  Gate gate;
  RequestWorkers workers(2, source.AsSource(), [&](const RequestMessage&) { gate.Enter(); });
  source.Push(10);
  // Both workers answer at once; the other eight stay in the source (the backpressure).
  ASSERT_TRUE(gate.AwaitInside(2));
  EXPECT_EQ(source.taken(), 2);
  EXPECT_EQ(source.left(), 8u);
  gate.Open();
  workers.Stop(seconds(60));
  EXPECT_EQ(workers.handled(), 10);
}

TEST(RequestWorkersTest, PauseWaitsForMessagesInHandAndTakesNoMoreUntilResumed) {
  FakeSource source;
  Gate gate;
  Handled handled;
  RequestWorkers workers(2, source.AsSource(), [&](const RequestMessage& m) {
    gate.Enter();
    handled.Add(m);
  });
  source.Push(1);
  ASSERT_TRUE(gate.AwaitInside(1));
  std::atomic<bool> paused{false};
  std::thread pauser([&] {
    workers.Pause();
    paused = true;
  });
  // Pause cannot return while a message is in hand; it does once that one is answered.
  EXPECT_FALSE(paused.load());
  gate.Open();
  pauser.join();
  EXPECT_TRUE(paused.load());
  EXPECT_EQ(handled.counts().size(), 1u);
  source.Push(5);
  EXPECT_EQ(source.taken(), 1) << "a paused pool took a message";
  workers.Resume();
  ASSERT_TRUE(handled.AwaitTotal(6));
  workers.Stop(milliseconds(0));
}

TEST(RequestWorkersTest, StopAnswersWhatIsHeldAndWhatTheSourceHasReady) {
  FakeSource source;
  Gate gate;
  Handled handled;
  RequestWorkers workers(2, source.AsSource(), [&](const RequestMessage& m) {
    gate.Enter();
    handled.Add(m);
  });
  source.Push(50);
  ASSERT_TRUE(gate.AwaitInside(2));
  std::thread stopper([&] { workers.Stop(seconds(60)); });
  gate.Open();
  stopper.join();
  const std::map<int64_t, int> counts = handled.counts();
  EXPECT_EQ(counts.size(), 50u) << "queued requests were dropped at stop";
  for (const auto& [offset, n] : counts) EXPECT_EQ(n, 1) << "offset " << offset;
  EXPECT_EQ(source.left(), 0u);
}

TEST(RequestWorkersTest, StopWhilePausedLeavesTheRestInTheSource) {
  FakeSource source;
  Handled handled;
  RequestWorkers workers(2, source.AsSource(), [&](const RequestMessage& m) { handled.Add(m); });
  workers.Pause();  // as during a rebalance: what is fetched belongs to the next owner
  source.Push(5);
  workers.Stop(seconds(60));
  EXPECT_EQ(workers.handled(), 0);
  EXPECT_EQ(source.left(), 5u);
}

}  // namespace
}  // namespace locus::kafka
