#include "src/eval/locus_method.h"

#include <cstdio>
#include <unordered_map>

namespace locus::eval {
namespace {

class LocusMethod final : public Method {
 public:
  LocusMethod(const ModelOptions& options, std::unique_ptr<Scorer> scorer)
      : model_(options), scorer_(std::move(scorer)) {
    model_.set_track_changes(false);  // nothing is persisted during a replay
  }

  std::string name() const override { return "locus"; }

  void Bind(const ReplayState& state) override {
    data_ = &state.data;
    seen_.assign(data_->venues.size(), false);
    for (uint32_t v = 0; v < data_->venues.size(); ++v) index_.emplace(data_->venues[v], v);
  }

  void Rank(const Query& q, const std::vector<uint32_t>& candidates,
            std::vector<uint32_t>& top) override {
    top.clear();
    if (candidates.empty()) return;
    locus::Query query;
    query.activity_text = data_->activities[q.activity];
    query.user = UserId(data_->users[q.user]);
    query.position = q.position;
    query.at = q.ts;
    query.k = 10;
    const Answer a = Recommend(model_, *scorer_, query, options_);
    for (const ScoredPlace& item : a.items) top.push_back(index_.at(item.place.str()));
  }

  std::string Notes() const override {
    const Blend& b = model_.blend();
    std::string s = "blend after " + std::to_string(b.steps) + " steps (mean loss " +
                    std::to_string(model_.blend_loss()) + ")\n  gate:";
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

  void Reveal(const Row& row, size_t index) override {
    if (!seen_[row.venue]) {
      seen_[row.venue] = true;
      model_.UpsertPlace(PlaceOf(*data_, row.venue));
    }
    model_.Apply(EventOf(*data_, row, index)).IgnoreError();  // the place was just upserted
  }

 private:
  Model model_;
  std::unique_ptr<Scorer> scorer_;
  RecommendOptions options_;
  const Dataset* data_ = nullptr;
  std::vector<bool> seen_;
  std::unordered_map<std::string, uint32_t> index_;
};

}  // namespace

Place PlaceOf(const Dataset& d, uint32_t v) {
  const std::string& activity = d.activities[d.venue_activity[v]];
  return Place{PlaceId(d.venues[v]), activity + " " + d.venues[v].substr(0, 8),
               d.venue_position[v], {ActivityId(activity)}, {}};
}

Event EventOf(const Dataset& d, const Row& row, size_t index) {
  Event e;
  e.event_id = d.name.substr(0, 64) + "-" + std::to_string(index);
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
