// EventFacts on the by-place topic (README "Scale-out on Kafka"): their bytes, the partitions
// that aggregate a part of one, and the replay filter that makes a redelivered fact count once.
//
// The owner of events partition p applies an event's user part (Model::ApplyUser) and sends
// the fact, tagged with (p, the event's offset), to every by-place partition owning one of
// the rows it changes; the owner of by-place partition q applies the parts keyed by q's rows
// (PartitionRowOwner). Facts from one source arrive in its offset order, so a fact whose
// offset is not above the last one applied from its source is a replay (a new owner of p
// re-applying events after the state it restored) and is dropped: each fact counts once
// without transactions.
#pragma once

#include "src/core/model.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace locus {

// Where a fact came from: the events partition and the event's offset in it.
struct FactSource {
  int32_t partition = 0;
  int64_t offset = 0;
};

std::string EncodeFact(const EventFact& fact, const FactSource& source);
// nullopt when the bytes are not a whole encoded fact.
std::optional<std::pair<EventFact, FactSource>> DecodeFact(std::string_view bytes);

// Rows keyed into one by-place partition of `partitions` (Kafka's partitioner on the key).
class PartitionRowOwner final : public RowOwner {
 public:
  PartitionRowOwner(int32_t partition, int32_t partitions)
      : partition_(partition), partitions_(partitions) {}
  bool OwnsPlace(const PlaceId& place) const override;
  bool OwnsActivity(const ActivityId& activity) const override;
  int32_t partition() const { return partition_; }

 private:
  int32_t partition_;
  int32_t partitions_;
};

// The by-place partitions (ascending, each once) that own a row the fact changes.
std::vector<int32_t> FactDestinations(const EventFact& fact, int32_t partitions);

// The last offset applied from each source, of one by-place partition; kept with the rows it
// guards (same commit). Not thread-safe.
class FactFilter {
 public:
  // True (and the offset remembered) when `source` is past the last offset applied from its
  // partition; false for a replay.
  bool Accept(const FactSource& source);
  const std::map<int32_t, int64_t>& applied() const { return applied_; }
  std::string Encode() const;
  static std::optional<FactFilter> Decode(std::string_view bytes);

 private:
  std::map<int32_t, int64_t> applied_;
};

// The by-place partition that aggregates a stored row summed over users (Model::RowOwnerId);
// nullopt for entries that are not such rows.
std::optional<int32_t> RowPartition(Space space, std::string_view key, int32_t partitions);

// The model topic (locus.model), partitioned like the by-place topic: the owner of by-place
// partition q publishes every row of q it changed, keyed by space and stored key, then a
// commit marker: the next by-place offset of q those rows include and q's FactFilter. A reader
// installs a partition's rows only when their marker arrives, so rows, filter and offset move
// together to whoever owns q next (no transactions needed).
std::string EncodeModelKey(Space space, std::string_view key);
// nullopt for the marker's key and for bytes that are no model key.
std::optional<std::pair<Space, std::string>> DecodeModelKey(std::string_view bytes);
inline constexpr std::string_view kModelCommitKey =
    "\xff"
    "commit";
struct ModelCommit {
  int64_t next_offset = 0;  // of the by-place partition
  FactFilter filter;
};
std::string EncodeModelCommit(const ModelCommit& commit);
std::optional<ModelCommit> DecodeModelCommit(std::string_view bytes);

}  // namespace locus
