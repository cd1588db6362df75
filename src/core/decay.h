// Exponentially time-decayed counters driven by event time (never the wall clock).
#pragma once

#include "src/core/types.h"

#include <cmath>

namespace locus {

// A sum of weights, each decayed by 2^(-age / half_life). Stored as the mass at `ref`, the
// newest event time seen, so the value is independent of event order in exact arithmetic.
// Plain value type; not thread-safe.
struct DecayedValue {
  double mass = 0;
  TimeMs ref = 0;

  // Adds `weight` observed at time `t`.
  void Add(double weight, TimeMs t, double half_life_ms) {
    if (mass == 0 && ref == 0) {
      mass = weight;
      ref = t;
    } else if (t >= ref) {
      mass = mass * Factor(t - ref, half_life_ms) + weight;
      ref = t;
    } else {
      mass += weight * Factor(ref - t, half_life_ms);
    }
  }

  // The value as seen at time `t` (no growth for t before ref).
  double At(TimeMs t, double half_life_ms) const {
    return t <= ref ? mass : mass * Factor(t - ref, half_life_ms);
  }

  static double Factor(TimeMs age, double half_life_ms) {
    return std::exp2(-static_cast<double>(age) / half_life_ms);
  }
};

inline constexpr double kMsPerDay = 86'400'000.0;

}  // namespace locus
