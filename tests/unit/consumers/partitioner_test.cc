// The core's partitioner against librdkafka's murmur2 partitioner, the one locus's producers
// use: a user's events, requests and state must agree on the partition.
#include "src/core/partitioner.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <string>

namespace locus {
namespace {

TEST(PartitionerTest, AgreesWithLibrdkafkasMurmur2PartitionerOnUserIds) {
  for (int32_t partitions : {1, 4, 12, 64}) {
    for (int i = 0; i < 2000; ++i) {
      const std::string key = (i % 3 == 0 ? "user-" : "u") + std::to_string(i * 7919);
      const int32_t theirs = rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(),
                                                              partitions, nullptr, nullptr);
      ASSERT_EQ(KafkaPartition(key, partitions), theirs) << key << " of " << partitions;
    }
  }
}

}  // namespace
}  // namespace locus
