// Dunning's log-likelihood ratio for a 2x2 contingency table: how surprising it is that two
// things co-occur as often as they do, given how often each occurs. Used to score
// co-visitation (users who went to both places) without favouring places that are merely
// popular, as raw counts and, less so, cosine do.
#pragma once

#include <cstdint>

namespace locus {

// The table: k11 = both, k12 = the first without the second, k21 = the second without the
// first, k22 = neither. Counts must be >= 0. Returns G^2 = 2 * sum k * ln(k N / (row col)),
// which is >= 0 and 0 when the two are independent.
double LogLikelihoodRatio(double k11, double k12, double k21, double k22);

// The LLR when the two co-occur more often than independence predicts, else 0: only
// attraction counts as a neighbour.
double PositiveLlr(double k11, double k12, double k21, double k22);

// The table of two places from counts over users: `both` visited the two, `users_a` and
// `users_b` visited each, `users` is everyone. Inconsistent counts are clamped, not trusted.
double CovisitLlr(int64_t both, int64_t users_a, int64_t users_b, int64_t users);

}  // namespace locus
