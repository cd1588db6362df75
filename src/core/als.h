// Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren and
// Volinsky 2008) with conjugate-gradient solves (Takacs et al. 2011): the periodic full
// retrain beside the online factors. Place vectors come from the retrain; a user's vector is
// folded in from their current history when they ask, so answers stay fresh between retrains.
//
// Each half-iteration first turns both sides into the eigenbasis of the fixed side's Gram
// matrix (Y Y^T, an orthogonal change of basis that leaves every score x.y unchanged), so each
// vector's system is diagonal plus the rank-one terms of its own pairs. A row (a user's or a
// place's pairs) of at most 16 pairs is then solved exactly in O(n^2 f) (Woodbury identity);
// a longer one by `cg_steps` steps of conjugate gradients preconditioned by that diagonal and
// warm-started from the last vector, each step O(n f) instead of O(f^2). With f factors,
// U users, I places and rows of n pairs, flops per iteration are about (U + I) f^2 (the two
// Gram matrices) + 2 (U + 2 I) f^2 (changes of basis; 2 U f^2 more when some user row is
// long) + per row 2 n^2 f (short) or n f (7 + 4 cg_steps) (long). Short rows are exact, so an
// iteration lowers the loss about as much as exact ALS does.
//
// Pure and deterministic: the same interactions and options give the same factors, whatever
// the thread count (work is split in fixed blocks). The returned vectors are in whatever basis
// training ended in: only products of a user's and a place's vectors mean anything. An AlsModel
// is immutable once trained and may be shared between threads.
#pragma once

#include "src/core/types.h"

#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace locus {

struct AlsOptions {
  int factors = 32;
  // Added to the diagonal of every solve.
  double regularization = 0.01;
  // Confidence of an observed pair: 1 + alpha * log1p(count).
  double alpha = 40.0;
  int iterations = 15;
  // Conjugate-gradient steps per vector and iteration (warm-started from the last one). 0 solves
  // every vector exactly (Cholesky): the reference the CG steps are measured against, slower.
  int cg_steps = 3;
  // Threads of the training (the caller's among them); any count gives the same result.
  int threads = 1;
};

// User-place pairs with their counts (e.g. visits + weighted clicks), rows in any order.
struct Interactions {
  std::vector<UserId> users;
  std::vector<PlaceId> places;
  struct Pair {
    uint32_t user;
    uint32_t place;
    float count;
  };
  std::vector<Pair> pairs;
};

class AlsModel {
 public:
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::VectorXf;

  // Trains from scratch. `version` names the model in answers (e.g. "als-20120405").
  // `loss_per_iteration`, when given, receives the training loss after each iteration: the
  // confidence-weighted squared error over every user-place cell plus the L2 term.
  static std::shared_ptr<const AlsModel> Train(const Interactions& data, const AlsOptions& options,
                                               std::string version,
                                               std::vector<double>* loss_per_iteration = nullptr);
  // The same, releasing what it was given as soon as it is used: the pairs once they are laid
  // out by user (while they are, the retrain holds 18 bytes a pair, not 28, and the factor
  // matrices are made only after that), the user ids once hashed for their seeds, the place
  // ids moved into the model.
  static std::shared_ptr<const AlsModel> Train(Interactions&& data, const AlsOptions& options,
                                               std::string version,
                                               std::vector<double>* loss_per_iteration = nullptr);
  // A model from stored place vectors: place ids[i]'s vector is column i of `values`
  // (factors rows; columns past ids.size() are spare capacity, dropped without a copy). The
  // store's key order is the ids' order; another is sorted. `gram`, when given, is Y Y^T as
  // stored with the model (factors x factors); otherwise it is computed as Train computes it.
  // Either way fold-ins equal the trained model's. The vectors are adopted, not copied (at 1M
  // places they are ~300 MB).
  static std::shared_ptr<const AlsModel> FromStored(std::string version, const AlsOptions& options,
                                                    std::vector<PlaceId> ids, Matrix values,
                                                    const float* gram = nullptr);

  const std::string& version() const { return version_; }
  const AlsOptions& options() const { return options_; }
  int factors() const { return options_.factors; }
  size_t place_count() const { return ids_.size(); }
  const std::vector<PlaceId>& place_ids() const { return ids_; }
  // Column i is the vector of place_ids()[i].
  const Matrix& place_factors() const { return y_; }
  // Y Y^T (factors x factors), stored with the model: a restart then need not sum it over
  // every place again (~0.2-1 s at 1M places).
  const Matrix& gram() const { return yty_; }
  // nullptr when the place was not in the training data (a binary search of place_ids(): the
  // model keeps each place's vector with its entry, so no index by id is kept here).
  const float* PlaceVector(const PlaceId& place) const;
  // The vector of place_ids()[i].
  const float* VectorAt(size_t i) const { return y_.col(static_cast<Eigen::Index>(i)).data(); }
  // The user's vector given their history (place, count): the exact least-squares solution
  // with the place vectors fixed. nullopt when no place of the history is known.
  std::optional<Vector> FoldIn(const std::vector<std::pair<PlaceId, double>>& history) const;
  // The same given the places' vectors (nullptr: a place not trained, skipped).
  std::optional<Vector> FoldIn(const std::vector<std::pair<const float*, double>>& history) const;

  // Bytes of one place vector and back.
  static std::string EncodeVector(const float* v, int n);
  static bool DecodeVector(std::string_view bytes, Vector& v);

 private:
  AlsModel() = default;
  // Train's; when `release` is given (it is `data`), frees its parts as soon as they are used.
  static std::shared_ptr<const AlsModel> Train(const Interactions& data, const AlsOptions& options,
                                               std::string version,
                                               std::vector<double>* loss_per_iteration,
                                               Interactions* release);

  std::string version_;
  AlsOptions options_;
  std::vector<PlaceId> ids_;  // sorted
  Matrix y_;                  // factors x places
  Matrix yty_;                // Y Y^T, for fold-in
};

}  // namespace locus
