#include "consumers/request_workers.h"

#include <utility>

namespace locus::kafka {

using Clock = std::chrono::steady_clock;

RequestWorkers::RequestWorkers(int threads, Source source, Handler handler)
    : source_(std::move(source)), handler_(std::move(handler)) {
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

RequestWorkers::~RequestWorkers() { Stop(std::chrono::milliseconds(0)); }

void RequestWorkers::Work() {
  for (;;) {
    std::optional<RequestMessage> message;
    {
      std::lock_guard take(take_mu_);
      bool draining;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !paused_ || stopping_; });
        if (stopping_ && (paused_ || drained_ || Clock::now() >= drain_until_)) return;
        draining = stopping_;
        ++holding_;
      }
      message = source_(draining ? 0 : kTakeWaitMs);
      if (!message) {
        std::lock_guard lock(mu_);
        --holding_;
        if (draining) drained_ = true;
        cv_.notify_all();
        continue;
      }
    }
    handler_(*message);
    std::lock_guard lock(mu_);
    --holding_;
    ++handled_;
    cv_.notify_all();
  }
}

void RequestWorkers::Pause() {
  std::unique_lock lock(mu_);
  if (stopping_) return;
  paused_ = true;
  cv_.wait(lock, [this] { return holding_ == 0; });
}

void RequestWorkers::Resume() {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  paused_ = false;
  cv_.notify_all();
}

void RequestWorkers::Stop(std::chrono::milliseconds drain) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      drain_until_ = Clock::now() + drain;
    }
    cv_.notify_all();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

int64_t RequestWorkers::handled() const {
  std::lock_guard lock(mu_);
  return handled_;
}

}  // namespace locus::kafka
