// The learned blend: how much each signal counts, learned online from the stream itself.
//
// People mostly return to places they know and sometimes explore. The blend models that as a
// mixture: a gate (logistic) gives the chance that the next visit is a return, a "return"
// expert ranks the user's own places and an "explore" expert ranks the others (each a
// conditional logit, a softmax over its candidates). A candidate's score is the log of its
// mixture probability. Each event is first a question to the current weights, then one
// AdaGrad step on its log-likelihood (prequential learning); nothing is tuned per data set.
//
// Plain value type; not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace locus {

// Per-candidate features (features.cc computes them).
enum Feature : size_t {
  kOwnLog,        // log(1 + the user's own visits here for this activity)
  kOwnAny,        // 1 when the user has been here
  kOwnShare,      // share of the user's visits for this activity that were here
  kOwnRecency,    // decays with time since the user's last visit here
  kIsLastPlace,   // the user's previous place
  kOwnFavourite,  // the user's most visited place for this activity
  kPopLog,        // log(1 + visits by everyone)
  kPopRecentLog,  // log(1 + recent visits, short half-life)
  kPopUsersLog,   // log(1 + distinct visitors)
  kDistLog,       // log(1 + km from the question's position)
  kHasDist,       // 1 when the question has a position
  kDistAreaLog,   // log(1 + km from the user's own places for this activity)
  kDistHomeLog,   // log(1 + km from the centre of the user's events)
  kTransLog,      // log(1 + moves from the user's previous place to here)
  kTransProb,     // share of moves out of the previous place that came here
  kCovisit,       // co-visitation with the user's recent places (cosine over users)
  kHourAffinity,  // log-lift of this hour of day here vs the activity overall
  kFactor,        // latent-factor affinity of the user and the place (u·p)
  kNear,          // exp(-km / 1 km): walking distance, beyond the log-linear decay
  kCovisitLlr,    // log(1 + mean LLR of co-visitation with the user's recent places)
  kAls,           // the full retrain's affinity of the user (folded in now) and the place
  kRating,        // the place's shrunk mean rating relative to the activity's (explicit)
  kTagMatch,      // share of the place's tags found on the user's own places (content)
  kNumFeatures
};
using Features = std::array<double, kNumFeatures>;
extern const std::array<const char*, kNumFeatures> kFeatureNames;

// Per-question features of the gate.
enum GateFeature : size_t {
  kGateBias,
  kGateOwnPlacesLog,        // log(1 + distinct own places for this activity)
  kGateOwnVisitsLog,        // log(1 + own visits for this activity)
  kGateRepeatLogit,         // the user's smoothed log-odds of returning
  kGateUserVisitsLog,       // log(1 + all the user's visits)
  kGateConcentration,       // share of the favourite among own visits
  kGateNearestOwnLog,       // log(1 + km to the nearest own place), 0 without a position
  kGateSinceOwnLog,         // log(1 + days since the last own visit for this activity)
  kGateLastIsOwn,           // the previous place is one of the user's places for this activity
  kGateActivityRepeat,      // log-odds that a visit for this activity (anyone's) is a return
  kGateUserActivityRepeat,  // the user's own log-odds of returning for this activity
  kNumGateFeatures
};
using GateFeatures = std::array<double, kNumGateFeatures>;
extern const std::array<const char*, kNumGateFeatures> kGateFeatureNames;

// Weights with their AdaGrad accumulators.
template <size_t N>
struct Weights {
  std::array<double, N> w{};
  std::array<double, N> g2{};
};

class Blend {
 public:
  Blend();

  // Log mixture probability of each candidate (higher is better).
  void Score(const std::vector<Features>& candidates, const GateFeatures& gate,
             std::vector<double>& scores) const;
  // One step on -log P(target); returns the loss before the step. The candidates hold every
  // place the user knows; when the others are a uniform sample, each one sampled stands for
  // exp(other_log_weight) of them (the log of the inverse sampling rate), so the explore
  // softmax is normalised as over all of them. A step reads only kOwnAny of every candidate
  // and the other features of those on the target's side (its own places, or the others):
  // a caller may leave the rest of the far side's features unset.
  double Train(const std::vector<Features>& candidates, const GateFeatures& gate, size_t target,
               double other_log_weight = 0);

  static constexpr size_t kReturnSize = 13;
  static constexpr size_t kExploreSize = 16;
  Weights<kNumGateFeatures> gate;
  Weights<kReturnSize> ret;
  Weights<kExploreSize> explore;
  int64_t steps = 0;
  double loss_sum = 0;

  static const std::array<Feature, kReturnSize> kReturnFeatures;
  static const std::array<Feature, kExploreSize> kExploreFeatures;
};

}  // namespace locus
