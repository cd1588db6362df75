// Latent factors: user and place vectors learned online from implicit feedback with BPR
// (each visit should score above places of the same activity the user did not pick).
// Vectors start from a seeded function of the id, so state depends only on the events.
//
// Not thread-safe; owned by the Model, which keeps the user vectors itself (users() here is
// for Observe by user id).
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
  // A vector as kept inside other structures: without Vector's SIMD alignment (64 bytes with
  // AVX-512), which would pad every structure holding one, and the hash node around it, to it.
  using PackedVector = Eigen::Matrix<float, kDim, 1, Eigen::DontAlign>;

  // u·p, or 0 when either is unknown.
  double Score(const UserId& user, const PlaceId& place) const;
  // One BPR step for `user` picking `place` over each of `negatives`.
  void Observe(const UserId& user, const PlaceId& place,
               const std::vector<const PlaceId*>& negatives);
  // The same with a user vector kept by the caller (the Model keeps it with the user's other
  // state); `user` starts as UserStart(id).
  void Observe(PackedVector& user, const PlaceId& place,
               const std::vector<const PlaceId*>& negatives);
  // A user's starting vector: a seeded function of the id.
  static Vector UserStart(const UserId& user);

  const std::unordered_map<UserId, PackedVector>& users() const { return users_; }
  const std::unordered_map<PlaceId, PackedVector>& places() const { return places_; }
  std::unordered_map<UserId, PackedVector>& mutable_users() { return users_; }
  std::unordered_map<PlaceId, PackedVector>& mutable_places() { return places_; }

  // Bytes of a vector and back (little-endian floats, Eigen::Map, no copies).
  static std::string Encode(const Vector& v);
  static bool Decode(std::string_view bytes, Vector& v);

 private:
  PackedVector& UserVector(const UserId& user);
  PackedVector& PlaceVector(const PlaceId& place);

  std::unordered_map<UserId, PackedVector> users_;
  std::unordered_map<PlaceId, PackedVector> places_;
};

}  // namespace locus
