// Which request offsets may be stored as handled, when requests are answered in parallel.
//
// A request counts as handled once its response is delivered (the producer's delivery report),
// not when it is read: storing the offset of a request whose response is still in the
// producer's memory would lose that response if the process died then. Workers finish out of
// order, so the offset that may be stored for a partition is the lowest one still in flight
// (or one past the last one taken when none is): everything below it is answered.
//
// Thread-safe: Taken() from the thread that reads the partition (in offset order), Done()
// from whichever thread serves delivery reports, Advanced() from the ingest thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace locus::kafka {

using TopicPartition = std::pair<std::string, int32_t>;

class RequestOffsets {
 public:
  // The partitions now assigned (forgetting any others and everything in flight on them).
  void Assign(const std::vector<TopicPartition>& partitions);
  // Forgets every partition (after a revoke, once what was in flight is done).
  void Clear() { Assign({}); }

  // A request was read; offsets of one partition arrive in increasing order.
  void Taken(const TopicPartition& tp, int64_t offset);
  // Its response was delivered (or finally failed). Unknown partitions are ignored.
  void Done(const TopicPartition& tp, int64_t offset);
  // The partition was read to its end (cleared by the next Taken).
  void AtEnd(const TopicPartition& tp);

  // Partitions whose storable next offset moved since the last call, with that offset.
  std::map<TopicPartition, int64_t> Advanced();
  // Requests taken whose responses are not delivered yet.
  int64_t in_flight() const;
  // True when partitions are assigned, each is at its end and nothing is in flight.
  bool AllAnswered() const;

 private:
  struct Partition {
    std::set<int64_t> in_flight;
    int64_t next = -1;      // one past the last offset taken; -1: none taken yet
    int64_t reported = -1;  // last value Advanced() returned
    bool at_end = false;
  };
  static int64_t Storable(const Partition& p);

  mutable std::mutex mu_;
  std::map<TopicPartition, Partition> partitions_;
};

}  // namespace locus::kafka
