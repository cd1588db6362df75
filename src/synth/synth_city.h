// A seeded generator of a synthetic city's check-in stream, in the exact 8-column TSV format of
// the Foursquare files in shared/data (see EVAL.md "Data"):
//
//   17 <TAB> 4d6a1e2f9c0b3a5e7d8c1b2a <TAB> 5f3c9a0e1d2b4c6a8e7f9b1d <TAB> Coffee Shop <TAB>
//   40.741234 <TAB> -73.987123 <TAB> -240 <TAB> Tue Apr 03 18:00:09 +0000 2012
//
// What makes it realistic enough to test recommenders on: ~65 activities named after common
// Foursquare categories with Zipf-like frequencies; venues clustered in a few neighbourhoods,
// each with one activity and a Zipf popularity within it; users with a home point, a few
// favourite places per activity they return to (about 60% of check-ins are at a place the user
// has visited before, as in the NYC data), exploration biased towards popular places near
// where the user is; a daily and weekly rhythm (offices on weekdays, coffee in the morning,
// bars at night) in local time at UTC-4.
//
// Deterministic: the same options give the same bytes. Randomness is splitmix64 and every
// conversion to uniform/normal/Zipf values is written out in the source (no std::*_distribution,
// whose outputs differ between standard libraries); numbers are printed with std::to_chars,
// so neither the locale nor the C library changes the output.
//
// Thread-safety: WriteCheckins keeps all its state on the stack; concurrent calls are fine.
// Cost: O(checkins * (log checkins + activities)) time, O(checkins + places) memory.
#pragma once

#include <cstdint>
#include <ostream>

namespace locus::synth {

struct CityOptions {
  // Seed of every random choice; the same seed (and options) gives the same bytes.
  uint64_t seed = 7;
  // Number of venues (values below 1 count as 1). Some may never be visited.
  int places = 2000;
  // Number of users, with ids "1" .. "users" (values below 1 count as 1).
  int users = 300;
  // Total number of check-in rows written (values below 0 count as 0).
  int checkins = 20000;
  // City centre, WGS84 degrees.
  double center_lat = 40.75, center_lon = -73.98;
  // Every venue lies within this great-circle distance of the centre (at least 0.1 km). Meant
  // for city sizes (up to a few hundred km) away from the poles.
  double radius_km = 15.0;
  // Time of the first check-in, UTC seconds since the epoch; the stream then covers about
  // checkins / (0.7 * users) days.
  int64_t start_epoch_s = 1333476000;
};

// Writes the whole stream to `out`: `checkins` lines, each ending in '\n', sorted by UTC time
// (the first at start_epoch_s exactly). A venue always carries the same activity, category id
// and coordinates. Stream errors are left in `out`'s state for the caller to check.
void WriteCheckins(const CityOptions& options, std::ostream& out);

}  // namespace locus::synth
