#include "src/core/factors.h"

#include <cmath>
#include <cstring>

namespace locus {
namespace {

// Step size and L2 of the online BPR updates; common defaults for implicit feedback.
constexpr float kRate = 0.05f;
constexpr float kReg = 0.01f;
constexpr float kInitScale = 0.1f;

uint64_t Mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A small deterministic vector from the id: uniform in [-scale, scale].
FactorModel::Vector Initial(size_t hash, uint64_t salt) {
  FactorModel::Vector v;
  uint64_t state = hash ^ salt;
  for (int i = 0; i < FactorModel::kDim; ++i) {
    state = Mix(state);
    v[i] = kInitScale * (static_cast<float>(state >> 40) / static_cast<float>(1ULL << 24) * 2 - 1);
  }
  return v;
}

}  // namespace

FactorModel::Vector FactorModel::UserStart(const UserId& user) {
  return Initial(user.hash(), 0x5553455255534552ULL);
}

FactorModel::Vector FactorModel::PlaceStart(const PlaceId& place) {
  return Initial(place.hash(), 0x504c414345504cULL);
}

FactorModel::PackedVector& FactorModel::PlaceOrStart(uint32_t n, const PlaceId& id) {
  if (const PackedVector* v = Place(n)) return const_cast<PackedVector&>(*v);
  return Assign(n, Keep(PlaceStart(id)));
}

uint32_t FactorModel::Keep(const PackedVector& v) {
  vectors_.emplace_back(v);
  return static_cast<uint32_t>(vectors_.size() - 1);
}

FactorModel::PackedVector& FactorModel::Assign(uint32_t n, uint32_t kept) {
  if (n >= slots_.size()) slots_.resize(size_t{n} + 1);
  slots_[n] = kept + 1;
  return vectors_[kept];
}

void FactorModel::Observe(PackedVector& u, PackedVector& p,
                          const std::vector<PackedVector*>& negatives) {
  for (PackedVector* neg : negatives) {
    if (neg == &p) continue;
    PackedVector& n = *neg;
    const Vector diff = p - n;
    const float x = u.dot(diff);
    const float g = 1.0f / (1.0f + std::exp(x));  // d/dx log sigmoid(x)
    const Vector u_old = u;
    u += kRate * (g * diff - kReg * u);
    p += kRate * (g * u_old - kReg * p);
    n += kRate * (-g * u_old - kReg * n);
  }
}

void FactorModel::Encode(const PackedVector& v, std::string& out) {
  out.resize(sizeof(float) * kDim);
  Eigen::Map<PackedVector>(reinterpret_cast<float*>(out.data())) = v;
}

bool FactorModel::Decode(std::string_view bytes, Vector& v) {
  if (bytes.size() != sizeof(float) * kDim) return false;
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return true;
}

}  // namespace locus
