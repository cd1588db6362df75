#include "consumers/request_offsets.h"

#include <gtest/gtest.h>

#include <map>

namespace locus::kafka {
namespace {

const TopicPartition kP0{"locus.requests", 0};
const TopicPartition kP1{"locus.requests", 1};

TEST(RequestOffsetsTest, NothingIsStoredBeforeARequestIsTaken) {
  RequestOffsets offsets;
  offsets.Assign({kP0});
  EXPECT_TRUE(offsets.Advanced().empty());
}

TEST(RequestOffsetsTest, StoresUpToTheLowestRequestWhoseResponseIsNotDelivered) {
  RequestOffsets offsets;
  offsets.Assign({kP0});
  for (int64_t o = 10; o < 14; ++o) offsets.Taken(kP0, o);
  EXPECT_EQ(offsets.Advanced(), (std::map<TopicPartition, int64_t>{{kP0, 10}}));
  // Answered out of order: 11 and 13 first; 10 still holds the partition at 10.
  offsets.Done(kP0, 11);
  offsets.Done(kP0, 13);
  EXPECT_TRUE(offsets.Advanced().empty());
  EXPECT_EQ(offsets.in_flight(), 2);
  offsets.Done(kP0, 10);
  EXPECT_EQ(offsets.Advanced(), (std::map<TopicPartition, int64_t>{{kP0, 12}}));
  offsets.Done(kP0, 12);
  EXPECT_EQ(offsets.Advanced(), (std::map<TopicPartition, int64_t>{{kP0, 14}}));
  EXPECT_EQ(offsets.in_flight(), 0);
  EXPECT_TRUE(offsets.Advanced().empty()) << "each advance is reported once";
}

TEST(RequestOffsetsTest, PartitionsAdvanceIndependently) {
  RequestOffsets offsets;
  offsets.Assign({kP0, kP1});
  offsets.Taken(kP0, 5);
  offsets.Taken(kP1, 7);
  offsets.Advanced();
  offsets.Done(kP1, 7);
  EXPECT_EQ(offsets.Advanced(), (std::map<TopicPartition, int64_t>{{kP1, 8}}));
}

TEST(RequestOffsetsTest, ForgetsWhatWasInFlightWhenPartitionsGo) {
  RequestOffsets offsets;
  offsets.Assign({kP0});
  offsets.Taken(kP0, 1);
  offsets.Clear();
  offsets.Done(kP0, 1);  // a late delivery report of a revoked partition
  offsets.Taken(kP0, 2);
  EXPECT_TRUE(offsets.Advanced().empty());
  EXPECT_EQ(offsets.in_flight(), 0);
}

TEST(RequestOffsetsTest, AllAnsweredNeedsEveryPartitionAtItsEndAndNothingInFlight) {
  RequestOffsets offsets;
  EXPECT_FALSE(offsets.AllAnswered()) << "no partitions yet";
  offsets.Assign({kP0, kP1});
  offsets.AtEnd(kP0);
  EXPECT_FALSE(offsets.AllAnswered());
  offsets.AtEnd(kP1);
  EXPECT_TRUE(offsets.AllAnswered());
  offsets.Taken(kP1, 0);
  EXPECT_FALSE(offsets.AllAnswered()) << "a new request means the partition is not at its end";
  offsets.AtEnd(kP1);
  EXPECT_FALSE(offsets.AllAnswered()) << "its response is not delivered";
  offsets.Done(kP1, 0);
  EXPECT_TRUE(offsets.AllAnswered());
}

}  // namespace
}  // namespace locus::kafka
