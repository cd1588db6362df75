#include "consumers/request_offsets.h"

namespace locus::kafka {

void RequestOffsets::Assign(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(mu_);
  partitions_.clear();
  for (const TopicPartition& tp : partitions) partitions_[tp];
}

void RequestOffsets::Taken(const TopicPartition& tp, int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return;
  it->second.in_flight.insert(offset);
  it->second.next = offset + 1;
  it->second.at_end = false;
}

void RequestOffsets::Done(const TopicPartition& tp, int64_t offset) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(tp);
  if (it != partitions_.end()) it->second.in_flight.erase(offset);
}

void RequestOffsets::AtEnd(const TopicPartition& tp) {
  std::lock_guard lock(mu_);
  auto it = partitions_.find(tp);
  if (it != partitions_.end()) it->second.at_end = true;
}

int64_t RequestOffsets::Storable(const Partition& p) {
  return p.in_flight.empty() ? p.next : *p.in_flight.begin();
}

std::map<TopicPartition, int64_t> RequestOffsets::Advanced() {
  std::lock_guard lock(mu_);
  std::map<TopicPartition, int64_t> out;
  for (auto& [tp, p] : partitions_) {
    const int64_t storable = Storable(p);
    if (storable > p.reported) {
      out[tp] = storable;
      p.reported = storable;
    }
  }
  return out;
}

int64_t RequestOffsets::in_flight() const {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (const auto& [tp, p] : partitions_) n += static_cast<int64_t>(p.in_flight.size());
  return n;
}

bool RequestOffsets::AllAnswered() const {
  std::lock_guard lock(mu_);
  if (partitions_.empty()) return false;
  for (const auto& [tp, p] : partitions_) {
    if (!p.at_end || !p.in_flight.empty()) return false;
  }
  return true;
}

}  // namespace locus::kafka
