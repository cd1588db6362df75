// `locus import`: publishes a check-in file (shared/data's TSV, plain or .xz) as place upserts
// and visit events, places first, paced by the engine group's lag so the embedded cluster's
// small per-partition log never drops what the engine has not read.
#pragma once

#include "consumers/kafka_client.h"
#include "src/config/config.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace locus::kafka {

struct ImportOptions {
  KafkaConfig kafka;
  Properties client;
  // Largest lag (events produced but not yet committed by the engine group) allowed in any
  // partition before the importer waits; 0 disables pacing.
  int64_t max_lag_per_partition = 20000;
  // After publishing, wait up to this long until the engine group has committed everything
  // (0: do not wait). Needs pacing on (max_lag_per_partition > 0).
  double wait_for_engine_s = 0;
  // Set (e.g. by SIGINT/SIGTERM) to stop early; the import then fails with "stopped".
  const std::atomic<bool>* stop = nullptr;
  // Progress to stderr: a bar on a terminal, plain lines otherwise.
  bool progress = true;
};

struct ImportStats {
  int64_t lines = 0;
  int64_t skipped = 0;  // malformed lines
  int64_t places = 0;
  int64_t events = 0;
  double seconds = 0;
};

Result<ImportStats> ImportCheckins(const std::string& path, const ImportOptions& options);

}  // namespace locus::kafka
