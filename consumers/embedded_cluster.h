// The embedded Kafka cluster: librdkafka's mock cluster (the real Kafka protocol on loopback
// ports) hosted in this process. Any Kafka client, kcat included, can connect to bootstrap().
//
// Limits to design around (see DESIGN.md): it keeps only ~5 MiB or 100,000 message sets per
// partition, never compacts, ignores transactions, and creates topics only through its own
// API — so Start() creates every locus topic with its partition count.
// Lifecycle: lives until destroyed; destruction stops the brokers.
#pragma once

#include "consumers/kafka_client.h"
#include "src/core/status.h"

#include <memory>
#include <string>
#include <vector>

struct rd_kafka_mock_cluster_s;

namespace locus::kafka {

class EmbeddedCluster {
 public:
  // Starts `brokers` brokers and creates `topics`, each with `partitions` partitions.
  static Result<std::unique_ptr<EmbeddedCluster>> Start(int brokers,
                                                        const std::vector<std::string>& topics,
                                                        int partitions);
  ~EmbeddedCluster();

  // "127.0.0.1:port,..." for bootstrap.servers.
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  EmbeddedCluster() = default;
  Handle host_;  // the client handle whose threads serve the mock brokers
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace locus::kafka
