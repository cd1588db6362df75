#include "src/core/partitioner.h"

#include <gtest/gtest.h>

#include <string>

namespace locus {
namespace {

TEST(PartitionerTest, Murmur2MatchesKafkasOwnTestVectors) {
  // The values Kafka's UtilsTest asserts for Utils.murmur2 (Java ints): every tail length.
  EXPECT_EQ(KafkaMurmur2("21"), -973932308);
  EXPECT_EQ(KafkaMurmur2("foobar"), -790332482);
  EXPECT_EQ(KafkaMurmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(KafkaMurmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(KafkaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(KafkaMurmur2("abc"), 479470107);
}

TEST(PartitionerTest, PartitionIsTheHashWithoutItsSignBitModuloTheCount) {
  // -973932308 & 0x7fffffff = 1173551340.
  EXPECT_EQ(KafkaPartition("21", 12), 1173551340 % 12);
  EXPECT_EQ(KafkaPartition("21", 1), 0);
  for (int i = 0; i < 1000; ++i) {
    const int32_t p = KafkaPartition("u" + std::to_string(i), 7);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, 7);
  }
}

}  // namespace
}  // namespace locus
