// Latent factors: user and place vectors learned online from implicit feedback with BPR
// (each visit should score above places of the same activity the user did not pick).
// Vectors start from a seeded function of the id, so state depends only on the events.
//
// Not thread-safe; owned by the Model.
#pragma once

#include "src/core/types.h"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace locus {

class FactorModel {
 public:
  static constexpr int kDim = 32;
  using Vector = Eigen::Matrix<float, kDim, 1>;

  // u·p, or 0 when either is unknown.
  double Score(const UserId& user, const PlaceId& place) const;
  // One BPR step for `user` picking `place` over each of `negatives`.
  void Observe(const UserId& user, const PlaceId& place,
               const std::vector<const PlaceId*>& negatives);

  const std::unordered_map<UserId, Vector>& users() const { return users_; }
  const std::unordered_map<PlaceId, Vector>& places() const { return places_; }
  std::unordered_map<UserId, Vector>& mutable_users() { return users_; }
  std::unordered_map<PlaceId, Vector>& mutable_places() { return places_; }

  // Bytes of a vector and back (little-endian floats, Eigen::Map, no copies).
  static std::string Encode(const Vector& v);
  static bool Decode(std::string_view bytes, Vector& v);

 private:
  Vector& UserVector(const UserId& user);
  Vector& PlaceVector(const PlaceId& place);

  std::unordered_map<UserId, Vector> users_;
  std::unordered_map<PlaceId, Vector> places_;
};

}  // namespace locus
