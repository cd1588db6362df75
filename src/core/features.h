// Signal features of one candidate place for one question (user, activity, position, time):
// the user's own history, popularity, geography, transitions and co-visitation, time of day.
// The learned blend (blend.h) weighs them; the live engine and `locus eval` share this code.
#pragma once

#include "src/core/blend.h"
#include "src/core/model.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace locus {

// Everything about the question that does not depend on the candidate, looked up once.
struct FeatureContext {
  const Model* model = nullptr;
  ActivityId activity;
  std::optional<GeoPoint> position;
  std::optional<UserId> user;
  TimeMs t = 0;
  int hour = 0;
  const Model::PlaceStats* stats = nullptr;
  Model::UserPlaces mine;  // empty: no history
  double mine_total = 0;
  std::optional<PlaceId> favourite;
  const UserProfile* profile = nullptr;
  double repeat_rate = 0;
  std::optional<GeoPoint> area;       // centroid of the user's places for this activity
  std::optional<GeoPoint> home;       // centroid of all the user's located events
  double area_cos = 0, home_cos = 0;  // their CosLatitude, for the distance of every candidate
  const Model::PlaceCounts* transitions = nullptr;
  double transitions_out = 0;
  // Co-visitation rows of the user's recent places with the distinct visitors of each.
  struct CovisitRow {
    const Model::PlaceCounts* row;
    int64_t users;
  };
  std::vector<CovisitRow> covisit_rows;
  int64_t users = 0;  // everyone with an event
  const std::array<int64_t, 24>* activity_hours = nullptr;
  double rating_mean = 0;
  // Tags of the user's own places (all activities), for content similarity of new places.
  std::vector<std::string> own_tags;  // mean rating of the activity's places (0: no ratings)
  double activity_events = 0;
  // The user's online (BPR) factor vector; nullptr when unknown.
  const FactorModel::PackedVector* bpr_user = nullptr;
  // The user's vector folded into the full retrain's place factors (fresh to the last event).
  std::optional<AlsModel::Vector> als_user;
  // The blend's gate features of this question.
  GateFeatures gate{};
};

FeatureContext MakeFeatureContext(const Model& model, const ActivityId& activity,
                                  const std::optional<UserId>& user,
                                  const std::optional<GeoPoint>& position, TimeMs t);

// The user's weighted events (visits, and clicks by their weight) in one entry of their history.
double OwnWeight(const Model& model, const UserPlaceStat& stat);
// The user's own weighted events at `place` for the question's activity (kOwnAny is this > 0).
double OwnCount(const FeatureContext& ctx, const PlaceEntry& place);

// Features of `place`; `distance_km` is its distance from the question's position if known.
Features ComputeFeatures(const FeatureContext& ctx, const PlaceEntry& place,
                         std::optional<double> distance_km);

// Asks memory for the lines of `place` itself that ComputeFeatures reads (its position to its
// number: three lines of a PlaceEntry), for a loop that reaches places through a sampled list.
inline void PrefetchEntry(const PlaceEntry& place) {
  const char* const first = reinterpret_cast<const char*>(&place.position);
  const char* const last = reinterpret_cast<const char*>(&place.index);
  constexpr std::ptrdiff_t kLine = 64;
  for (const char* a = first; a < last; a += kLine) __builtin_prefetch(a);
  __builtin_prefetch(last);
}

// Asks memory for what ComputeFeatures reads one pointer away from `place` (its stats list,
// profile and factor vectors): at 1M places each is a cache miss, and a loop over candidates
// that prefetches a few places ahead has their misses in flight together instead of one
// after another. Changes nothing.
inline void PrefetchFeatureReads(const PlaceEntry& place) {
  __builtin_prefetch(place.stats.data());
  if (place.profile != nullptr) {
    __builtin_prefetch(place.profile);
    __builtin_prefetch(reinterpret_cast<const char*>(place.profile) + 64);
  }
  if (place.bpr != nullptr) __builtin_prefetch(place.bpr->data());
  if (place.als != nullptr) __builtin_prefetch(place.als);
}

// How many candidates ahead a loop over them prefetches.
inline constexpr size_t kFeaturePrefetchAhead = 4;

}  // namespace locus
