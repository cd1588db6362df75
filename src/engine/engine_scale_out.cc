// Engine's scale-out part (engine.h "Scale-out"; README "Scale-out on Kafka"): facts out of the
// events applied here, facts of the owned by-place partitions into their rows, those rows out
// to the model topic at each Flush, and the other partitions' rows in from it.
#include "src/core/partitioner.h"
#include "src/engine/engine.h"

#include <charconv>
#include <iterator>

namespace locus {
namespace {

constexpr std::string_view kFilterPrefix = "facts/";

std::string FilterKey(int32_t partition) {
  return std::string(kFilterPrefix) + std::to_string(partition);
}

// Forwards every change to the batch and keeps a copy of each row of an owned partition.
class PublishingWriter final : public StateWriter {
 public:
  PublishingWriter(StateWriter& inner, int32_t partitions, const std::set<int32_t>& owned,
                   std::map<int32_t, std::vector<Engine::OutRecord>>& rows)
      : inner_(inner), partitions_(partitions), owned_(owned), rows_(rows) {}

  void Put(Space space, std::string_view key, std::string_view value) override {
    inner_.Put(space, key, value);
    const std::optional<int32_t> q = RowPartition(space, key, partitions_);
    if (q && owned_.contains(*q)) {
      rows_[*q].push_back({*q, EncodeModelKey(space, key), std::string(value)});
    }
  }
  // Rows summed over users are never deleted (a deleted place keeps its history); a place's
  // listing is deleted through the places topic, which every instance reads itself.
  void Delete(Space space, std::string_view key) override { inner_.Delete(space, key); }

 private:
  StateWriter& inner_;
  int32_t partitions_;
  const std::set<int32_t>& owned_;
  std::map<int32_t, std::vector<Engine::OutRecord>>& rows_;
};

}  // namespace

Status Engine::LoadFilters() {
  std::string bad;
  Status s = store_->Scan(Space::kMeta, [&](std::string_view key, std::string_view value) {
    if (!key.starts_with(kFilterPrefix)) return;
    const std::string_view digits = key.substr(kFilterPrefix.size());
    int32_t q = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), q);
    std::optional<FactFilter> filter = FactFilter::Decode(value);
    if (ec != std::errc() || end != digits.data() + digits.size() || q < 0 || !filter) {
      if (bad.empty()) bad = "corrupt fact filter '" + std::string(key) + "'";
      return;
    }
    filters_[q] = std::move(*filter);
  });
  if (!s.ok()) return s;
  return bad.empty() ? Status::Ok() : Status::Error(bad);
}

std::vector<Engine::OutRecord> Engine::TakeFacts() {
  std::vector<OutRecord> out;
  out.swap(facts_out_);
  return out;
}

void Engine::StageModelRecords(std::vector<OutRecord> records) {
  for (OutRecord& r : records) model_out_[r.partition][std::move(r.key)] = std::move(r.value);
}

std::vector<Engine::OutRecord> Engine::TakeModelRecords(bool now) {
  std::vector<OutRecord> out;
  const auto t = std::chrono::steady_clock::now();
  if (model_out_.empty() ||
      (!now &&
       t - last_publish_ < std::chrono::milliseconds(options_.scale_out.publish_interval_ms)))
    return out;
  last_publish_ = t;
  for (auto& [q, rows] : model_out_) {
    auto marker = rows.extract(std::string(kModelCommitKey));
    for (auto& [key, value] : rows) out.push_back({q, key, std::move(value)});
    if (!marker.empty()) out.push_back({q, std::move(marker.key()), std::move(marker.mapped())});
  }
  model_out_.clear();
  return out;
}

void Engine::OwnByPlace(std::set<int32_t> partitions) {
  // Rows staged for a partition now owned never got their marker: its previous owner died
  // between publishing them and committing. They are newer than the filter this engine holds
  // for it, so they are dropped; the facts behind them are applied again from the by-place
  // topic.
  for (int32_t q : partitions) staged_.erase(q);
  owned_by_place_ = std::move(partitions);
}

size_t Engine::DropUserPartitions(const std::set<int32_t>& partitions) {
  if (partitions.empty()) return 0;
  const int32_t n = options_.scale_out.partitions;
  size_t dropped = 0;
  {
    std::unique_lock lock(mu_);
    // Users still in the store are read first; a failure stops the engine (the next commit
    // fails), and nothing is dropped.
    if (!CompleteLoadLocked().ok()) return 0;
    dropped = model_.DropUsers(
        [&](const UserId& user) { return partitions.contains(KafkaPartition(user.str(), n)); });
  }
  for (int32_t p : partitions) {
    pending_offsets_.erase({options_.scale_out.events_topic, p});
    cleared_partitions_.insert(p);
  }
  if (!pending_since_) pending_since_ = std::chrono::steady_clock::now();
  return dropped;
}

std::vector<Outcome> Engine::HandleFacts(const std::vector<FactMessage>& messages,
                                         const std::function<void()>& catch_up_places) {
  std::vector<Outcome> out(messages.size());
  const std::string& topic = options_.scale_out.by_place_topic;
  for (size_t i = 0; i < messages.size(); ++i) {
    const FactMessage& m = messages[i];
    if (!owned_by_place_.contains(m.partition)) continue;  // not ours (any more): not consumed
    std::optional<std::pair<EventFact, FactSource>> f = DecodeFact(m.value);
    if (!f) {
      out[i] = {false, "schema", "by-place record that is no encoded fact"};
      CountRejected(out[i].code);
    } else if (filters_[m.partition].Accept(f->second)) {
      // The user's instance knew the place: read the places topic to its end if this one
      // does not know it yet (only the ingest thread changes places, so no lock to look).
      if (catch_up_places && model_.FindPlace(f->first.place) == nullptr) catch_up_places();
      const PartitionRowOwner owner(m.partition, options_.scale_out.partitions);
      std::unique_lock lock(mu_);
      if (Status s = CompleteLoadLocked(); !s.ok()) {
        // The store failed a read: it fails the next commit too, which stops the engine;
        // nothing from here on is marked consumed.
        out[i] = {false, "state", s.message()};
        return out;
      }
      model_.ApplyFact(f->first, &owner);
      dirty_filters_.insert(m.partition);
    }
    MarkConsumed(topic, m.partition, m.offset);
  }
  return out;
}

Outcome Engine::HandleModelRecord(int32_t partition, int64_t offset, std::string_view key,
                                  std::string_view value) {
  if (owned_by_place_.contains(partition)) return {};  // this engine's own rows
  if (key != kModelCommitKey) {
    std::optional<std::pair<Space, std::string>> k = DecodeModelKey(key);
    if (!k) return {false, "schema", "model-topic record whose key names no state space"};
    staged_[partition].push_back({k->first, std::move(k->second), std::string(value)});
    return {};
  }
  std::vector<StagedRow> rows;
  if (auto it = staged_.find(partition); it != staged_.end()) {
    rows = std::move(it->second);
    staged_.erase(it);
  }
  std::optional<ModelCommit> commit = DecodeModelCommit(value);
  if (!commit) {
    return {false, "schema",
            "model-topic commit marker of partition " + std::to_string(partition) +
                " that does not decode; its " + std::to_string(rows.size()) + " rows are dropped"};
  }
  size_t refused = 0;
  {
    std::unique_lock lock(mu_);
    if (Status s = CompleteLoadLocked(); !s.ok()) return {false, "state", s.message()};
    for (const StagedRow& r : rows) refused += !model_.InstallRow(r.space, r.key, r.value).ok();
  }
  filters_[partition] = std::move(commit->filter);
  dirty_filters_.insert(partition);
  // Should this engine own the partition next, it resumes the by-place topic where the rows
  // just installed end (stored with them in the next Flush).
  pending_offsets_[{options_.scale_out.by_place_topic, partition}] = commit->next_offset;
  MarkConsumed(options_.scale_out.model_topic, partition, offset);
  if (refused > 0) {
    return {false, "schema",
            std::to_string(refused) + " model-topic rows of partition " +
                std::to_string(partition) + " did not install"};
  }
  return {};
}

Result<size_t> Engine::RepublishModel() {
  const int32_t n = options_.scale_out.partitions;
  size_t staged = 0;
  // The spaces that hold rows summed over users (Model::RowOwnerId), not the per-user ones.
  for (Space space : {Space::kPlaces, Space::kActivityPlace, Space::kPlaceProfiles,
                      Space::kTransitions, Space::kCovisits, Space::kMeta}) {
    Status s = store_->Scan(space, [&](std::string_view key, std::string_view value) {
      const std::optional<int32_t> q = RowPartition(space, key, n);
      if (!q || !owned_by_place_.contains(*q)) return;
      model_out_[*q][EncodeModelKey(space, key)] = std::string(value);
      ++staged;
    });
    if (!s.ok()) return s;
  }
  const std::string& topic = options_.scale_out.by_place_topic;
  for (int32_t q : owned_by_place_) {
    ModelCommit commit;
    commit.next_offset = store_->Offset(topic, q).value_or(0);
    if (std::optional<std::string> f = store_->Get(Space::kMeta, FilterKey(q))) {
      std::optional<FactFilter> filter = FactFilter::Decode(*f);
      if (!filter) return Status::Error("corrupt fact filter of partition " + std::to_string(q));
      commit.filter = std::move(*filter);
    }
    model_out_[q][std::string(kModelCommitKey)] = EncodeModelCommit(commit);
  }
  return staged;
}

void Engine::PersistScaled(StateStore::Batch& batch, std::vector<OutRecord>& out) {
  std::map<int32_t, std::vector<OutRecord>> rows;
  PublishingWriter writer(batch, options_.scale_out.partitions, owned_by_place_, rows);
  {
    std::unique_lock lock(mu_);
    model_.Persist(writer);
  }
  for (int32_t q : dirty_filters_) batch.Put(Space::kMeta, FilterKey(q), filters_[q].Encode());
  for (int32_t p : cleared_partitions_) batch.ClearOffset(options_.scale_out.events_topic, p);
  cleared_partitions_.clear();
  const std::string& topic = options_.scale_out.by_place_topic;
  for (int32_t q : owned_by_place_) {
    auto it = rows.find(q);
    if (it == rows.end() && !dirty_filters_.contains(q)) continue;
    if (it != rows.end()) std::move(it->second.begin(), it->second.end(), std::back_inserter(out));
    ModelCommit commit;
    auto next = pending_offsets_.find({topic, q});
    commit.next_offset =
        next != pending_offsets_.end() ? next->second : store_->Offset(topic, q).value_or(0);
    commit.filter = filters_[q];
    out.push_back({q, std::string(kModelCommitKey), EncodeModelCommit(commit)});
  }
  dirty_filters_.clear();
}

}  // namespace locus
