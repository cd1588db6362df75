// Counters of the MySQL snapshots for /metrics and logs. Written by the snapshot thread, read
// by anyone. The counts are published last: a reader that sees `snapshots_written` change sees
// that snapshot's figures and `failing` cleared; one that sees `snapshot_failures` change sees
// `failing` set.
#pragma once

#include <atomic>
#include <cstdint>

namespace locus::snapshot {

struct SnapshotCounters {
  // Snapshots committed (complete) since the process started.
  std::atomic<int64_t> snapshots_written{0};
  // Failed attempts (connect, migrate, build or write) since the process started.
  std::atomic<int64_t> snapshot_failures{0};
  // Unix time (s) of the last committed snapshot; 0: none yet.
  std::atomic<int64_t> last_snapshot_unix{0};
  // Wall seconds of the last committed snapshot (view to commit).
  std::atomic<double> last_duration_s{0};
  // Id and rows of the last committed snapshot.
  std::atomic<int64_t> last_snapshot_id{0};
  std::atomic<int64_t> last_rows{0};
  // True while snapshots are failing (from the first failure to the next success).
  std::atomic<bool> failing{false};
};

}  // namespace locus::snapshot
