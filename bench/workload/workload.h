// A seeded, synthetic-but-realistic workload for benchmarks (issue 6): places clustered in
// cities with a Zipf popularity per activity, users with a home area, a few favourite
// activities and repeat habits, and a time-ordered stream of clicks and visits with a daily
// rhythm. Activities are the category names of a check-in file (column 4 of the dev data,
// read in place, most frequent first); more activities than the file names get numbered
// variants ("Coffee Shop #2").
//
// Deterministic: the same options (and category file) give the same places and events.
// Randomness is splitmix64; sampling is written out here (no std::*_distribution).
// Memory: O(places + users) (16 bytes of habits per user); events are made one at a time.
// Not thread-safe: one thread calls Next().
#pragma once

#include "src/core/als.h"
#include "src/core/status.h"
#include "src/core/types.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace locus::bench {

struct WorkloadOptions {
  // Seed of every random choice.
  uint64_t seed = 42;
  int64_t places = 10000;
  int64_t users = 10000;
  // Events Next() will make before it starts over in time (callers usually stop at this).
  int64_t events = 100000;
  // Activities used (0: every category of the file). Places get them by a Zipf share.
  int activities = 0;
  // Check-in TSV (plain or .xz) whose column 4 names the activities.
  std::string categories_path = "../shared/data/foursquare_nyc_ipcm.tsv.xz";
  // Time of the first event, UTC seconds since the epoch (2012-04-03 00:00:00).
  int64_t start_epoch_s = 1333411200;
  // Average events per user and day: sets the span of the stream (events / users / rate).
  double events_per_user_day = 0.7;
  // Share of events that are clicks (the rest are visits).
  double click_share = 0.6;
  // Chance that an event returns to one of the user's recent places of that activity.
  double repeat_share = 0.6;
};

class Workload {
 public:
  static Result<std::unique_ptr<Workload>> Create(const WorkloadOptions& options);

  const WorkloadOptions& options() const { return options_; }
  const std::vector<std::string>& activities() const { return activities_; }
  const std::vector<Place>& places() const { return places_; }
  // Activity index of place i.
  int place_activity(size_t i) const { return place_activity_[i]; }
  int64_t city_count() const { return static_cast<int64_t>(cities_.size()); }
  static std::string UserName(int64_t user) {
    std::string s = "u";  // not "u" + ...: GCC 12 warns falsely (-Wrestrict) on that
    s += std::to_string(user);
    return s;
  }
  const GeoPoint& home(int64_t user) const { return users_[user].home; }
  // A favourite activity of `user` (k = 0..3, most favoured first).
  int FavouriteActivity(int64_t user, int k) const;

  // The next event of the stream: ids "e<seq>", time-ordered, keyed by user.
  Event Next();
  int64_t produced() const { return seq_; }
  // Index of the user of the last event Next() returned.
  int64_t last_user() const { return last_user_; }

 private:
  struct City {
    GeoPoint center;
    std::vector<GeoPoint> hoods;
  };
  struct User {
    GeoPoint home;
    int32_t city = 0;
    uint32_t recent[4] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
    uint8_t next = 0;
  };

  explicit Workload(WorkloadOptions options) : options_(std::move(options)) {}
  uint64_t Rand();
  double Uniform();
  double Normal();
  // Rank in [0, n) with P(rank r) ~ 1 / (r + 1), from the continuous approximation.
  int64_t Zipf(int64_t n);
  GeoPoint Near(const GeoPoint& at, double sd_km);
  void Build();
  uint32_t PickPlace(int64_t user, int activity);

  WorkloadOptions options_;
  uint64_t state_ = 0;
  std::vector<std::string> activities_;
  std::vector<double> activity_cdf_;  // Zipf share of places per activity
  std::vector<City> cities_;
  std::vector<Place> places_;
  std::vector<int32_t> place_activity_;
  // Places of (city, activity), most popular first; and of each activity anywhere.
  std::vector<std::vector<uint32_t>> by_city_activity_;
  std::vector<std::vector<uint32_t>> by_activity_;
  std::vector<User> users_;
  std::vector<double> user_cdf_;  // how active each user is
  std::vector<double> hour_cdf_;  // daily rhythm, UTC hours
  int64_t seq_ = 0;
  int64_t last_user_ = 0;
  double span_days_ = 1;
};

// User-place pairs for the full retrain: `pairs` pairs (about pairs / users per user, distinct
// places per user), places by a Zipf popularity, counts 1 + a geometric number of returns.
// Deterministic in `seed`.
Interactions SyntheticInteractions(int64_t users, int64_t places, int64_t pairs, uint64_t seed);

}  // namespace locus::bench
