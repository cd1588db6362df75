// A fixed pool of threads that take request messages from a source and answer them, apart
// from the thread that applies events: a request never waits behind ingest (an apply, a
// flush, a places catch-up), and ingest never waits behind a request.
//
// Taking: one worker at a time calls the source (so messages of a partition are taken in
// offset order and the caller can track them in order); the others are answering or wait
// for their turn. A worker takes a message only when it is free, so the backlog stays in the
// source (for Kafka: librdkafka's fetch queue, bounded by queued.max.messages.kbytes, and
// behind it the log) rather than in memory here: that is the backpressure.
//
// Lifecycle: threads start in the constructor. Pause() returns once no worker holds a message
// (a rebalance commits offsets then); Resume() lets them take again. Stop() ends the pool,
// answering first what the workers hold and what the source has ready (see Stop). The
// destructor stops without draining.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace locus::kafka {

// One request as read from the requests topic.
struct RequestMessage {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
};

class RequestWorkers {
 public:
  // The next message, waiting up to `timeout_ms` (0: only one already there); nullopt when
  // none came. Called by one worker at a time.
  using Source = std::function<std::optional<RequestMessage>(int timeout_ms)>;
  // Answers one message. Called by several workers at once; must not throw.
  using Handler = std::function<void(const RequestMessage&)>;

  // How long a worker waits in the source before it looks at Pause/Stop again.
  static constexpr int kTakeWaitMs = 50;

  RequestWorkers(int threads, Source source, Handler handler);
  ~RequestWorkers();
  RequestWorkers(const RequestWorkers&) = delete;
  RequestWorkers& operator=(const RequestWorkers&) = delete;

  // Stops taking messages and waits until every message taken is handled.
  void Pause();
  void Resume();
  // Stops the pool: workers finish what they hold, then keep taking what the source has
  // ready without waiting (source timeout 0) until it has nothing or `drain` has passed, then
  // exit; Stop returns when all have. After Stop, Pause and Resume do nothing.
  void Stop(std::chrono::milliseconds drain);

  // Messages handled so far.
  int64_t handled() const;

 private:
  void Work();

  Source source_;
  Handler handler_;
  std::mutex take_mu_;  // held by the one worker that is taking
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool paused_ = false;
  bool stopping_ = false;
  bool drained_ = false;  // the source had nothing during the drain
  std::chrono::steady_clock::time_point drain_until_;
  int holding_ = 0;  // workers between taking a message and handling it
  int64_t handled_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace locus::kafka
