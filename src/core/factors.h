// Latent factors: user and place vectors learned online from implicit feedback with BPR
// (each visit should score above places of the same activity the user did not pick).
// Vectors start from a seeded function of the id, so state depends only on the events.
//
// Not thread-safe. The Model keeps each user's vector with the user's other state; the place
// vectors are here, by the model's place numbers (PlaceEntry::index): one slot per number, where
// a hash map keyed by id took a string hash and compare per lookup, five per event.
#pragma once

#include "src/core/stable_vector.h"
#include "src/core/types.h"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace locus {

class FactorModel {
 public:
  static constexpr int kDim = 32;
  using Vector = Eigen::Matrix<float, kDim, 1>;
  // A vector as kept inside other structures: without Vector's SIMD alignment (64 bytes with
  // AVX-512), which would pad every structure holding one, and the hash node around it, to it.
  using PackedVector = Eigen::Matrix<float, kDim, 1, Eigen::DontAlign>;

  // One BPR step for `user` picking `place` over each of `negatives` (the place itself among
  // them is skipped).
  static void Observe(PackedVector& user, PackedVector& place,
                      const std::vector<PackedVector*>& negatives);
  // Starting vectors: seeded functions of the id.
  static Vector UserStart(const UserId& user);
  static Vector PlaceStart(const PlaceId& place);

  // The vector of the place numbered `n`; nullptr before its first update.
  const PackedVector* Place(uint32_t n) const {
    return n < slots_.size() && slots_[n] != 0 ? &vectors_[slots_[n] - 1] : nullptr;
  }
  // The same, starting it as PlaceStart(id) if it has none. References stay valid while the
  // model lives (vectors are added at the end only, and never move).
  PackedVector& PlaceOrStart(uint32_t n, const PlaceId& id);
  // A load, in two steps: Keep stores a vector read before its place's number is known and
  // returns where it is; Assign gives it to the place numbered `n`. The vectors are read
  // straight into their final storage (a table of them, then a copy by number, was ~190 MB
  // of fresh pages and a copy at 1.18M places).
  uint32_t Keep(const PackedVector& v);
  PackedVector& Assign(uint32_t n, uint32_t kept);
  // Calls visit(number, vector) for every place with a vector, in number order.
  template <class Visit>
  void ForEachPlace(Visit&& visit) const {
    for (size_t n = 0; n < slots_.size(); ++n) {
      if (slots_[n] != 0) visit(static_cast<uint32_t>(n), vectors_[slots_[n] - 1]);
    }
  }

  // Bytes of a vector into `out` (replacing what it held; its capacity is reused) and back
  // (little-endian floats, Eigen::Map, no copies).
  static void Encode(const PackedVector& v, std::string& out);
  static bool Decode(std::string_view bytes, Vector& v);

 private:
  // The vectors in the order they were added; slots_[n] is place n's position there plus one
  // (0: none). A place without a vector costs its 4-byte slot (it was a whole vector).
  StableVector<PackedVector> vectors_;
  std::vector<uint32_t> slots_;
};

}  // namespace locus
