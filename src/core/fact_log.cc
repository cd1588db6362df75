#include "src/core/fact_log.h"

#include "src/core/bytes.h"
#include "src/core/partitioner.h"

#include <algorithm>

namespace locus {
namespace {

constexpr uint64_t kFactVersion = 1;
constexpr uint64_t kFilterVersion = 1;
constexpr uint64_t kCommitVersion = 1;

int64_t TypeCode(EventType type) {
  switch (type) {
    case EventType::kClick:
      return 0;
    case EventType::kVisit:
      return 1;
    case EventType::kRating:
      return 2;
  }
  return 1;
}

bool ReadIds(ByteReader& r, auto& ids) {
  uint64_t n = 0;
  if (!r.U64(n) || n > 4096) return false;
  ids.clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string s;
    if (!r.Str(s)) return false;
    ids.emplace_back(std::move(s));
  }
  return true;
}

}  // namespace

std::string EncodeFact(const EventFact& f, const FactSource& source) {
  ByteWriter w;
  w.U64(kFactVersion).I64(source.partition).I64(source.offset);
  w.Str(f.place.str()).I64(TypeCode(f.type)).I64(f.ts).F64(f.value);
  w.U64(f.activities.size());
  for (const ActivityId& a : f.activities) w.Str(a.str());
  w.U64(static_cast<uint64_t>(f.named) | static_cast<uint64_t>(f.seen_before) << 1 |
        static_cast<uint64_t>(f.from.has_value()) << 2);
  w.U64(f.covisited.size());
  for (const PlaceId& p : f.covisited) w.Str(p.str());
  if (f.from) w.Str(f.from->str());
  return w.Take();
}

std::optional<std::pair<EventFact, FactSource>> DecodeFact(std::string_view bytes) {
  ByteReader r(bytes);
  uint64_t version = 0, flags = 0;
  int64_t partition = 0, type = 0;
  FactSource source;
  EventFact f;
  std::string place;
  if (!r.U64(version) || version != kFactVersion || !r.I64(partition) || !r.I64(source.offset) ||
      !r.Str(place) || !r.I64(type) || type < 0 || type > 2 || !r.I64(f.ts) || !r.F64(f.value) ||
      !ReadIds(r, f.activities) || !r.U64(flags) || flags > 7 || !ReadIds(r, f.covisited)) {
    return std::nullopt;
  }
  if (partition < 0 || partition > INT32_MAX || source.offset < 0) return std::nullopt;
  source.partition = static_cast<int32_t>(partition);
  f.place = PlaceId(std::move(place));
  f.type = type == 0 ? EventType::kClick : type == 1 ? EventType::kVisit : EventType::kRating;
  f.named = (flags & 1) != 0;
  f.seen_before = (flags & 2) != 0;
  if ((flags & 4) != 0) {
    std::string from;
    if (!r.Str(from)) return std::nullopt;
    f.from = PlaceId(std::move(from));
  }
  if (!r.done() || (f.named && f.activities.empty())) return std::nullopt;
  return std::pair{std::move(f), source};
}

bool PartitionRowOwner::OwnsPlace(const PlaceId& place) const {
  return KafkaPartition(place.str(), partitions_) == partition_;
}

bool PartitionRowOwner::OwnsActivity(const ActivityId& activity) const {
  return KafkaPartition(activity.str(), partitions_) == partition_;
}

std::vector<int32_t> FactDestinations(const EventFact& f, int32_t partitions) {
  std::vector<int32_t> out{KafkaPartition(f.place.str(), partitions)};
  if (f.type != EventType::kRating) {
    for (const PlaceId& p : f.covisited) out.push_back(KafkaPartition(p.str(), partitions));
    if (f.from) out.push_back(KafkaPartition(f.from->str(), partitions));
    for (const ActivityId& a : f.activities) out.push_back(KafkaPartition(a.str(), partitions));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool FactFilter::Accept(const FactSource& source) {
  auto [it, added] = applied_.try_emplace(source.partition, source.offset);
  if (added) return true;
  if (source.offset <= it->second) return false;
  it->second = source.offset;
  return true;
}

std::string FactFilter::Encode() const {
  ByteWriter w;
  w.U64(kFilterVersion).U64(applied_.size());
  for (const auto& [partition, offset] : applied_) w.I64(partition).I64(offset);
  return w.Take();
}

std::optional<FactFilter> FactFilter::Decode(std::string_view bytes) {
  ByteReader r(bytes);
  uint64_t version = 0, n = 0;
  if (!r.U64(version) || version != kFilterVersion || !r.U64(n) || n > (1u << 20)) {
    return std::nullopt;
  }
  FactFilter filter;
  for (uint64_t i = 0; i < n; ++i) {
    int64_t partition = 0, offset = 0;
    if (!r.I64(partition) || !r.I64(offset) || partition < 0 || partition > INT32_MAX) {
      return std::nullopt;
    }
    filter.applied_[static_cast<int32_t>(partition)] = offset;
  }
  if (!r.done()) return std::nullopt;
  return filter;
}

std::optional<int32_t> RowPartition(Space space, std::string_view key, int32_t partitions) {
  std::optional<std::string> id = Model::RowOwnerId(space, key);
  if (!id) return std::nullopt;
  return KafkaPartition(*id, partitions);
}

std::string EncodeModelKey(Space space, std::string_view key) {
  std::string out(1, static_cast<char>(space));
  out += key;
  return out;
}

std::optional<std::pair<Space, std::string>> DecodeModelKey(std::string_view bytes) {
  if (bytes.empty()) return std::nullopt;
  const auto code = static_cast<unsigned char>(bytes[0]);
  for (Space space : kAllSpaces) {
    if (static_cast<unsigned char>(space) == code) {
      return std::pair{space, std::string(bytes.substr(1))};
    }
  }
  return std::nullopt;
}

std::string EncodeModelCommit(const ModelCommit& commit) {
  return ByteWriter()
      .U64(kCommitVersion)
      .I64(commit.next_offset)
      .Str(commit.filter.Encode())
      .Take();
}

std::optional<ModelCommit> DecodeModelCommit(std::string_view bytes) {
  ByteReader r(bytes);
  uint64_t version = 0;
  ModelCommit commit;
  std::string filter;
  if (!r.U64(version) || version != kCommitVersion || !r.I64(commit.next_offset) ||
      commit.next_offset < 0 || !r.Str(filter) || !r.done()) {
    return std::nullopt;
  }
  std::optional<FactFilter> f = FactFilter::Decode(filter);
  if (!f) return std::nullopt;
  commit.filter = std::move(*f);
  return commit;
}

}  // namespace locus
