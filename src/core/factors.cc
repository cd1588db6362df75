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

FactorModel::PackedVector& FactorModel::UserVector(const UserId& user) {
  auto it = users_.find(user);
  if (it == users_.end()) it = users_.emplace(user, UserStart(user)).first;
  return it->second;
}

FactorModel::PackedVector& FactorModel::PlaceVector(const PlaceId& place) {
  auto it = places_.find(place);
  if (it == places_.end())
    it = places_.emplace(place, Initial(place.hash(), 0x504c414345504cULL)).first;
  return it->second;
}

double FactorModel::Score(const UserId& user, const PlaceId& place) const {
  auto u = users_.find(user);
  auto p = places_.find(place);
  if (u == users_.end() || p == places_.end()) return 0;
  return u->second.dot(p->second);
}

void FactorModel::Observe(const UserId& user, const PlaceId& place,
                          const std::vector<const PlaceId*>& negatives) {
  Observe(UserVector(user), place, negatives);
}

void FactorModel::Observe(PackedVector& u, const PlaceId& place,
                          const std::vector<const PlaceId*>& negatives) {
  PackedVector& p = PlaceVector(place);
  for (const PlaceId* neg : negatives) {
    if (*neg == place) continue;
    PackedVector& n = PlaceVector(*neg);
    const Vector diff = p - n;
    const float x = u.dot(diff);
    const float g = 1.0f / (1.0f + std::exp(x));  // d/dx log sigmoid(x)
    const Vector u_old = u;
    u += kRate * (g * diff - kReg * u);
    p += kRate * (g * u_old - kReg * p);
    n += kRate * (-g * u_old - kReg * n);
  }
}

std::string FactorModel::Encode(const Vector& v) {
  std::string out(sizeof(float) * kDim, '\0');
  Eigen::Map<Vector>(reinterpret_cast<float*>(out.data())) = v;
  return out;
}

bool FactorModel::Decode(std::string_view bytes, Vector& v) {
  if (bytes.size() != sizeof(float) * kDim) return false;
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return true;
}

}  // namespace locus
