// Kafka helpers of the load tools: an embedded cluster with every locus topic, a fast
// producer, preloading a workload, and a bare librdkafka consumer as the baseline.
#pragma once

#include "bench/load/common.h"
#include "consumers/embedded_cluster.h"
#include "consumers/kafka_client.h"
#include "src/config/config.h"

#include <memory>
#include <string>

namespace locus::bench {

struct BenchCluster {
  KafkaConfig kafka;  // default topic names
  std::unique_ptr<kafka::EmbeddedCluster> cluster;
  kafka::Properties client;  // bootstrap.servers and quiet logs
  int partitions = 0;
};
BenchCluster StartCluster(int partitions);

// A producer tuned for bulk loading (big batches, large queue, murmur2 as locus expects).
std::unique_ptr<kafka::Producer> BulkProducer(const BenchCluster& c);

// Publishes every place, then `events` events of `w`; waits until all are delivered.
// Returns the bytes of event values written.
int64_t Preload(const BenchCluster& c, Workload& w, int64_t events);

// Reads `expected` messages of `topic` (all partitions, from the beginning) with a bare
// librdkafka consumer configured like the engine's: seconds from the first message to the
// last; -1 when they did not all arrive within `timeout_s`.
double RawConsume(const BenchCluster& c, const std::string& topic, int64_t expected,
                  double timeout_s);

// Smallest low watermark over the topic's partitions (> 0: the cluster dropped messages).
int64_t MaxLowWatermark(const BenchCluster& c, const std::string& topic);

}  // namespace locus::bench
