// Which partition a keyed record lands on: Kafka's default partitioner for keyed records, as
// Java clients and librdkafka's "murmur2" partitioner compute it (murmur2 of the key bytes,
// seed 0x9747b28c, sign bit cleared, modulo the partition count).
//
// Scale-out rests on it: the events and requests topics are keyed by user, so the instance
// holding a partition of one holds the same partition of the other, and it must know which of
// the users in its state belong to a partition it gains or gives up. Producers of both topics
// must use this partitioner (Java's default; librdkafka's default is crc32 and needs
// `partitioner=murmur2_random`, as locus's own producers set).
#pragma once

#include <cstdint>
#include <string_view>

namespace locus {

// Kafka's murmur2 of `key` (the 32-bit value as Java's Utils.murmur2 returns it).
int32_t KafkaMurmur2(std::string_view key);

// The partition of `key` among `partitions` (> 0).
int32_t KafkaPartition(std::string_view key, int32_t partitions);

}  // namespace locus
