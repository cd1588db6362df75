#include "src/core/llr.h"

#include <algorithm>
#include <cmath>

namespace locus {
namespace {

double XLogX(double x) { return x > 0 ? x * std::log(x) : 0; }

// Unnormalised Shannon entropy of counts: N ln N - sum k ln k.
double Entropy(double a, double b) { return XLogX(a + b) - XLogX(a) - XLogX(b); }
double Entropy(double a, double b, double c, double d) {
  return XLogX(a + b + c + d) - XLogX(a) - XLogX(b) - XLogX(c) - XLogX(d);
}

}  // namespace

double LogLikelihoodRatio(double k11, double k12, double k21, double k22) {
  const double rows = Entropy(k11 + k12, k21 + k22);
  const double cols = Entropy(k11 + k21, k12 + k22);
  const double all = Entropy(k11, k12, k21, k22);
  // Rounding can make an independent table a hair negative.
  return std::max(0.0, 2 * (rows + cols - all));
}

double PositiveLlr(double k11, double k12, double k21, double k22) {
  // Attraction: P(second | first) > P(second | not first), i.e. k11 k22 > k12 k21.
  if (k11 * k22 <= k12 * k21) return 0;
  return LogLikelihoodRatio(k11, k12, k21, k22);
}

double CovisitLlr(int64_t both, int64_t users_a, int64_t users_b, int64_t users) {
  const double k11 = static_cast<double>(std::max<int64_t>(0, both));
  const double a = std::max(k11, static_cast<double>(users_a));
  const double b = std::max(k11, static_cast<double>(users_b));
  const double n = std::max(a + b - k11, static_cast<double>(users));
  return PositiveLlr(k11, a - k11, b - k11, n - a - b + k11);
}

}  // namespace locus
