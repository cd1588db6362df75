// Runs the model's full retrain on a thread of its own, so ingestion and answers go on while
// it trains. The model asks for the result at a fixed point in event time, or at the first
// event after Ready() once that point has passed; Finish waits only under
// model.retrain_install_waits, when training is not done by the point (events coming faster
// than real time).
#pragma once

#include "src/core/model.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace locus {

class ThreadRetrainRunner final : public RetrainRunner {
 public:
  ThreadRetrainRunner() = default;
  ThreadRetrainRunner(const ThreadRetrainRunner&) = delete;
  ThreadRetrainRunner& operator=(const ThreadRetrainRunner&) = delete;
  ~ThreadRetrainRunner() override;

  void Start(Interactions data, AlsOptions options, std::string version) override;
  std::shared_ptr<const AlsModel> Finish() override;
  bool Ready() const override { return !training(); }

  // Waits until the retrain started last has finished training (its model stays for Finish).
  // The engine calls it before taking the model lock for an event that will install the model,
  // so that the wait (only when replaying faster than the training) does not hold back readers.
  // Start, Finish and Wait are called from one thread (the ingest thread).
  void Wait();
  // True while a started retrain is training (ingest thread).
  bool training() const { return worker_.joinable() && !trained_.load(); }
  // Retrains started since start (ingest thread).
  int64_t started() const { return started_; }
  // Retrains finished since start, and the wall time of the last one (for /metrics).
  int64_t completed() const { return completed_.load(); }
  double last_seconds() const { return last_seconds_.load(); }
  // Seconds the ingest thread has waited for a retrain to finish training since start (only
  // when events come faster than real time: a replay, a backlog; for /metrics).
  double waited_seconds() const { return waited_seconds_.load(); }

 private:
  std::thread worker_;
  std::mutex mu_;
  std::shared_ptr<const AlsModel> result_;
  std::atomic<int64_t> completed_{0};
  std::atomic<bool> trained_{false};
  int64_t started_ = 0;
  std::atomic<double> last_seconds_{0};
  std::atomic<double> waited_seconds_{0};
};

}  // namespace locus
