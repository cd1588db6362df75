// The request path's core: resolve the activity, gather candidates, score them with a
// Scorer, filter, explain. Pure: time comes in with the query or from the model.
#pragma once

#include "src/core/model.h"
#include "src/core/types.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace locus {

// A place being considered for one answer.
struct Candidate {
  const PlaceEntry* place = nullptr;
  // Distance from the query position; nullopt without a position.
  std::optional<double> distance_km;
  double score = 0;
  // Signals the scorer saw that Explain turns into reasons (LearnedScorer).
  bool next_from_last = false;  // people often come here next from the user's last place
  bool covisited = false;       // people who go where the user goes come here too
  bool busy_now = false;        // visited more at this hour than the activity is
  std::vector<std::string> reasons;
};

// Everything a scorer may look at for one query.
struct ScoreContext {
  const Model& model;
  const ActivityId& activity;
  const std::optional<UserId>& user;
  const std::optional<GeoPoint>& position;
  TimeMs now;
};

// Scores candidates in place (higher is better); Explain then adds the reasons of the few that
// are answered (reasons are strings: building them for every candidate cost more than scoring
// it). Implementations are pure and must be safe to call from several threads on a model that
// is not being written.
class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual void Score(const ScoreContext& context, std::vector<Candidate>& candidates) const = 0;
  // Adds reasons to `chosen[0..n)`, candidates this scorer scored for the same context.
  virtual void Explain(const ScoreContext& context, Candidate* chosen, size_t n) const = 0;
};

// The first score: decayed popularity, the user's own history, distance decay.
class BaselineScorer final : public Scorer {
 public:
  void Score(const ScoreContext& context, std::vector<Candidate>& candidates) const override;
  void Explain(const ScoreContext& context, Candidate* chosen, size_t n) const override;
};

// The learned blend of every signal (features.h) with the model's current weights.
class LearnedScorer final : public Scorer {
 public:
  void Score(const ScoreContext& context, std::vector<Candidate>& candidates) const override;
  void Explain(const ScoreContext& context, Candidate* chosen, size_t n) const override;
};

struct RecommendOptions {
  int default_k = 10;
  int max_k = 100;
  // Activities with more places than this are not scored in full: candidates come from the
  // user's own places, the most visited, the nearest, and where the user's recent places lead.
  size_t full_scan_limit = 1000;
  // Nearest places taken from the spatial index for such activities (by exact distance).
  size_t near_candidates = 400;
  // Co-visitation neighbours taken per recent place, strongest (LLR) first.
  size_t covisit_neighbours = 50;
  // Name of the scoring code; answers carry it with the installed retrain's version.
  std::string model_version = "blend-1";
};

// The places of `activity` worth scoring for `query`, each once, with their distance from the
// query's position when it has one (not yet filtered by radius or exclusions): every place of
// a small activity (in the activity's list order), else the gathered ones in id order.
std::vector<Candidate> GatherCandidates(const Model& model, const ActivityId& activity,
                                        const Query& query, const RecommendOptions& options);

// What answers from `model` are labelled with, e.g. "blend-1+als-20120405T0000".
std::string ModelVersion(const Model& model, const RecommendOptions& options);

// Answers one query from `model` with `scorer`. Never throws on user input: an unknown
// activity gives ok=false with suggestions.
Answer Recommend(const Model& model, const Scorer& scorer, const Query& query,
                 const RecommendOptions& options);

}  // namespace locus
