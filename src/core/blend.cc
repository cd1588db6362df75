#include "src/core/blend.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace locus {

const std::array<const char*, kNumFeatures> kFeatureNames = {
    "own_log",   "own_any",       "own_share",      "own_recency",   "is_last_place",
    "favourite", "pop_log",       "pop_recent_log", "pop_users_log", "dist_log",
    "has_dist",  "dist_area_log", "dist_home_log",  "trans_log",     "trans_prob",
    "covisit",   "hour_affinity", "factor",         "near",          "covisit_llr",
    "als",       "rating",        "tag_match"};

const std::array<const char*, kNumGateFeatures> kGateFeatureNames = {"bias",
                                                                     "own_places_log",
                                                                     "own_visits_log",
                                                                     "repeat_logit",
                                                                     "user_visits_log",
                                                                     "concentration",
                                                                     "nearest_own_log",
                                                                     "since_own_log",
                                                                     "last_is_own",
                                                                     "activity_repeat",
                                                                     "user_activity_repeat"};

const std::array<Feature, Blend::kReturnSize> Blend::kReturnFeatures = {
    kOwnLog,   kOwnShare,  kOwnRecency,   kIsLastPlace, kOwnFavourite, kPopLog, kDistLog,
    kTransLog, kTransProb, kHourAffinity, kFactor,      kAls,          kRating};

const std::array<Feature, Blend::kExploreSize> Blend::kExploreFeatures = {
    kPopLog,      kPopRecentLog, kPopUsersLog, kDistLog, kDistAreaLog,
    kDistHomeLog, kTransLog,     kTransProb,   kCovisit, kHourAffinity,
    kFactor,      kNear,         kCovisitLlr,  kAls,     kRating};

namespace {

// AdaGrad step size and L2; generic values for log-scaled features, not fitted to a data set.
constexpr double kRate = 0.05;
constexpr double kL2 = 1e-5;

template <size_t N>
double Dot(const Weights<N>& w, const std::array<Feature, N>& index, const Features& x) {
  double s = 0;
  for (size_t i = 0; i < N; ++i) s += w.w[i] * x[index[i]];
  return s;
}

template <size_t N>
void Step(Weights<N>& w, const std::array<double, N>& grad) {
  for (size_t i = 0; i < N; ++i) {
    const double g = grad[i] + kL2 * w.w[i];
    w.g2[i] += g * g;
    w.w[i] -= kRate * g / std::sqrt(w.g2[i]);
  }
}

double Sigmoid(double v) { return 1 / (1 + std::exp(-v)); }

// Log-softmax over the candidates in `members` (indices), written into `out`.
template <size_t N>
void LogSoftmax(const Weights<N>& w, const std::array<Feature, N>& index,
                const std::vector<Features>& c, const std::vector<size_t>& members,
                std::vector<double>& out, size_t keep = SIZE_MAX, double log_weight = 0) {
  // Members other than `keep` stand for `exp(log_weight)` candidates each (a sample).
  double max = -INFINITY;
  for (size_t i : members) {
    max = std::max(max, out[i] = Dot(w, index, c[i]) + (i == keep ? 0 : log_weight));
  }
  double z = 0;
  for (size_t i : members) z += std::exp(out[i] - max);
  const double log_z = max + std::log(z);
  for (size_t i : members) out[i] -= log_z;
}

// Gradient step of -log softmax(target) over `members` given their log-probabilities.
template <size_t N>
void SoftmaxStep(Weights<N>& w, const std::array<Feature, N>& index, const std::vector<Features>& c,
                 const std::vector<size_t>& members, const std::vector<double>& logp,
                 size_t target) {
  std::array<double, N> grad{};
  for (size_t i : members) {
    const double p = std::exp(logp[i]);
    for (size_t f = 0; f < N; ++f) grad[f] += p * c[i][index[f]];
  }
  for (size_t f = 0; f < N; ++f) grad[f] -= c[target][index[f]];
  Step(w, grad);
}

}  // namespace

Blend::Blend() {
  // A hand-made prior so the first answers are sensible before anything is learned:
  // returns are likely, own visits and popularity count, distance hurts.
  gate.w[kGateBias] = 1.0;
  ret.w[0] = 1.0;       // own_log
  ret.w[6] = -0.5;      // dist_log
  explore.w[0] = 1.0;   // pop_log
  explore.w[3] = -1.0;  // dist_log
  gate.g2.fill(1.0);
  ret.g2.fill(1.0);
  explore.g2.fill(1.0);
}

void Blend::Score(const std::vector<Features>& c, const GateFeatures& z,
                  std::vector<double>& scores) const {
  scores.assign(c.size(), 0);
  std::vector<size_t> own, other;
  for (size_t i = 0; i < c.size(); ++i) (c[i][kOwnAny] > 0 ? own : other).push_back(i);
  double pi = 0;
  if (!own.empty() && !other.empty()) {
    double g = 0;
    for (size_t i = 0; i < kNumGateFeatures; ++i) g += gate.w[i] * z[i];
    pi = Sigmoid(g);
  } else if (!own.empty()) {
    pi = 1;
  }
  LogSoftmax(ret, kReturnFeatures, c, own, scores);
  LogSoftmax(explore, kExploreFeatures, c, other, scores);
  const double log_pi = std::log(std::max(pi, 1e-12));
  const double log_not = std::log(std::max(1 - pi, 1e-12));
  for (size_t i : own) scores[i] += log_pi;
  for (size_t i : other) scores[i] += log_not;
}

double Blend::Train(const std::vector<Features>& c, const GateFeatures& z, size_t target,
                    double other_log_weight) {
  if (c.size() < 2 || target >= c.size()) return 0;
  std::vector<double> logp(c.size(), 0);
  std::vector<size_t> own, other;
  for (size_t i = 0; i < c.size(); ++i) (c[i][kOwnAny] > 0 ? own : other).push_back(i);
  const bool target_own = c[target][kOwnAny] > 0;
  double loss = 0;
  if (!own.empty() && !other.empty()) {
    double g = 0;
    for (size_t i = 0; i < kNumGateFeatures; ++i) g += gate.w[i] * z[i];
    const double pi = Sigmoid(g);
    const double y = target_own ? 1.0 : 0.0;
    loss -= std::log(std::max(1e-12, target_own ? pi : 1 - pi));
    std::array<double, kNumGateFeatures> grad{};
    for (size_t i = 0; i < kNumGateFeatures; ++i) grad[i] = (pi - y) * z[i];
    Step(gate, grad);
  }
  const std::vector<size_t>& members = target_own ? own : other;
  if (members.size() >= 2) {
    if (target_own) {
      LogSoftmax(ret, kReturnFeatures, c, members, logp);
      loss -= logp[target];
      SoftmaxStep(ret, kReturnFeatures, c, members, logp, target);
    } else {
      LogSoftmax(explore, kExploreFeatures, c, members, logp, target, other_log_weight);
      loss -= logp[target];
      SoftmaxStep(explore, kExploreFeatures, c, members, logp, target);
    }
  }
  ++steps;
  loss_sum += loss;
  return loss;
}

}  // namespace locus
