#include "src/engine/retrain_thread.h"

#include <chrono>
#include <sys/resource.h>
#include <unistd.h>
#include <utility>

namespace locus {
namespace {

// The retrain thread's nice value (0 is the process's; 19 the lowest priority).
constexpr int kRetrainNice = 10;

}  // namespace

ThreadRetrainRunner::~ThreadRetrainRunner() {
  if (worker_.joinable()) worker_.join();
}

void ThreadRetrainRunner::Start(Interactions data, AlsOptions options, std::string version) {
  // The model installs every retrain before it starts the next; a worker still running here
  // belongs to one whose result was dropped (e.g. state reloaded), so it is simply awaited.
  if (worker_.joinable()) worker_.join();
  {
    std::lock_guard lock(mu_);
    result_.reset();
  }
  ++started_;
  trained_ = false;
  worker_ =
      std::thread([this, data = std::move(data), options, version = std::move(version)]() mutable {
        // The retrain yields the CPU to ingestion and answers: on 2 CPUs under a backlog it
        // took a core from the event loop, and retrains followed one another. It then trains
        // at the CPU left over (and fewer retrains start under a backlog); with CPU to spare
        // it is as fast. On Linux the nice value is the thread's own (its workers inherit
        // it). Raising it needs no privilege; should it fail, the retrain runs as before.
        (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kRetrainNice);
        const auto start = std::chrono::steady_clock::now();
        auto model = AlsModel::Train(std::move(data), options, std::move(version));
        last_seconds_ =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        ++completed_;
        std::lock_guard lock(mu_);
        result_ = std::move(model);
        trained_ = true;
      });
}

void ThreadRetrainRunner::Wait() {
  if (!worker_.joinable()) return;
  // Joining a worker that has trained (it is only returning) is not a wait for training.
  const bool training = !trained_.load();
  const auto start = std::chrono::steady_clock::now();
  worker_.join();
  if (!training) return;
  waited_seconds_ = waited_seconds_.load() +
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::shared_ptr<const AlsModel> ThreadRetrainRunner::Finish() {
  Wait();
  std::lock_guard lock(mu_);
  return std::move(result_);
}

}  // namespace locus
