// PeriodicSnapshots: the background thread of `locus serve` that writes a snapshot every
// interval. It only reads consistent views of the store (RocksDB snapshots), never the engine's
// model or lock, so ingestion and answers never wait for it.
//
// At start it connects and applies the migrations at once; the first snapshot follows one
// interval later. When MySQL is unavailable the attempt fails, the failure is counted, logged
// once per outage (a warning; further failures are debug lines until a snapshot succeeds,
// which is logged with the outage's length), and retried with exponential back-off
// (initial_backoff_s doubling up to max_backoff_s, never longer than the interval).
//
// Lifecycle: Start() spawns the thread; Stop() (or the destructor) wakes it, lets an attempt in
// progress finish (bounded by the connection's timeouts) and joins. Must be stopped before the
// store it reads is closed. counters() may be read from any thread.
#pragma once

#include "snapshot/counters.h"
#include "snapshot/snapshotter.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace locus::snapshot {

struct PeriodicOptions {
  // Seconds between snapshots (> 0).
  double interval_s = 60;
  // First retry delay after a failure, doubled per failure up to max_backoff_s.
  double initial_backoff_s = 1;
  double max_backoff_s = 60;
  // Nice value of the snapshot thread (Linux: per thread): snapshots are background work and
  // yield the CPU to ingestion and answers when both want it. 0 leaves it as it is.
  int nice = 10;
};

class PeriodicSnapshots {
 public:
  static std::unique_ptr<PeriodicSnapshots> Start(SnapshotterOptions snapshotter, ViewSource views,
                                                  PeriodicOptions options);
  ~PeriodicSnapshots();

  // Asks for a snapshot now instead of at the end of the current wait.
  void TriggerNow();
  // Stops and joins the thread; idempotent.
  void Stop();
  const SnapshotCounters& counters() const { return counters_; }

 private:
  PeriodicSnapshots(SnapshotterOptions snapshotter, ViewSource views, PeriodicOptions options);
  void Run();
  // One attempt: a snapshot, or only connect + migrate when `snapshot` is false.
  bool Attempt(bool snapshot);
  // After a success: logs the end of an outage if there was one and clears `failing`.
  void EndOutage();

  Snapshotter snapshotter_;
  ViewSource views_;
  PeriodicOptions options_;
  SnapshotCounters counters_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool triggered_ = false;
  std::thread thread_;

  // Outage bookkeeping (snapshot thread only).
  int64_t outage_failures_ = 0;
  double outage_started_ = 0;
};

}  // namespace locus::snapshot
