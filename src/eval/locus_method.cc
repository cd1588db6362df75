#include "src/eval/locus_method.h"

#include "src/core/checkin.h"

#include <cstdio>
#include <unordered_map>

namespace locus::eval {
namespace {

class LocusMethod final : public Method {
 public:
  LocusMethod(const ModelOptions& options, std::unique_ptr<Scorer> scorer)
      : options_(options), scorer_(std::move(scorer)) {}

  std::string name() const override { return "locus"; }

  void Bind(const ReplayState& state) override {
    replay_ = std::make_unique<LocusReplay>(state.data, options_, std::move(scorer_));
  }

  void Rank(const Query& q, const std::vector<uint32_t>& candidates,
            std::vector<uint32_t>& top) override {
    top.clear();
    if (!candidates.empty()) top = replay_->Rank(q.user, q.activity, q.position, q.ts);
  }

  void Reveal(const Row& row, size_t index) override { replay_->Reveal(row, index); }

  std::string Notes() const override {
    const Blend& b = replay_->model().blend();
    std::string s = "blend after " + std::to_string(b.steps) + " steps (mean loss " +
                    std::to_string(replay_->model().blend_loss()) + ")\n  gate:";
    auto add = [&s](const char* name, double w) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %s=%.3f", name, w);
      s += buf;
    };
    for (size_t i = 0; i < kNumGateFeatures; ++i) add(kGateFeatureNames[i], b.gate.w[i]);
    s += "\n  return:";
    for (size_t i = 0; i < Blend::kReturnSize; ++i) {
      add(kFeatureNames[Blend::kReturnFeatures[i]], b.ret.w[i]);
    }
    s += "\n  explore:";
    for (size_t i = 0; i < Blend::kExploreSize; ++i) {
      add(kFeatureNames[Blend::kExploreFeatures[i]], b.explore.w[i]);
    }
    return s;
  }

 private:
  ModelOptions options_;
  std::unique_ptr<Scorer> scorer_;
  std::unique_ptr<LocusReplay> replay_;
};

}  // namespace

LocusReplay::LocusReplay(const Dataset& data, const ModelOptions& options,
                         std::unique_ptr<Scorer> scorer)
    : data_(data), model_(options), scorer_(std::move(scorer)) {
  model_.set_track_changes(false);  // nothing is persisted during a replay
  seen_.assign(data_.venues.size(), false);
  for (uint32_t v = 0; v < data_.venues.size(); ++v) index_.emplace(data_.venues[v], v);
}

void LocusReplay::Reveal(const Row& row, size_t index) {
  if (!seen_[row.venue]) {
    seen_[row.venue] = true;
    model_.UpsertPlace(PlaceOf(data_, row.venue));
  }
  model_.Apply(EventOf(data_, row, index)).IgnoreError();  // the place was just upserted
}

std::vector<uint32_t> LocusReplay::Rank(uint32_t user, uint32_t activity,
                                        const std::optional<GeoPoint>& position, TimeMs at) const {
  locus::Query query;
  query.activity_text = data_.activities[activity];
  query.user = UserId(data_.users[user]);
  query.position = position;
  query.at = at;
  query.k = 10;
  const Answer a = Recommend(model_, *scorer_, query, RecommendOptions{});
  std::vector<uint32_t> top;
  for (const ScoredPlace& item : a.items) top.push_back(index_.at(item.place.str()));
  return top;
}

Place PlaceOf(const Dataset& d, uint32_t v) {
  const std::string& activity = d.activities[d.venue_activity[v]];
  return Place{PlaceId(d.venues[v]),
               CheckinPlaceName(activity, d.venues[v]),
               d.venue_position[v],
               {ActivityId(activity)},
               {}};
}

Event EventOf(const Dataset& d, const Row& row, size_t index) {
  Event e;
  e.event_id = CheckinEventId(d.path, index);
  e.type = EventType::kVisit;
  e.user = UserId(d.users[row.user]);
  e.place = PlaceId(d.venues[row.venue]);
  e.ts = row.ts;
  e.position = row.position;
  return e;
}

std::unique_ptr<Method> MakeLocusMethod(const ModelOptions& options,
                                        std::unique_ptr<Scorer> scorer) {
  return std::make_unique<LocusMethod>(options, std::move(scorer));
}

}  // namespace locus::eval
