// Shared fixtures of the Model tests: a few places, event builders and lookups.
#pragma once

#include "src/core/model.h"
#include "src/core/types.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace locus::test_support {

inline constexpr TimeMs kT0 = 1'333'476'009'000;  // 2012-04-03T18:00:09Z
inline constexpr TimeMs kHour = 3'600'000;

inline Place MakePlace(const std::string& id, const std::string& name, GeoPoint pos,
                       std::vector<std::string> activities, std::vector<std::string> tags = {}) {
  Place p;
  p.id = PlaceId(id);
  p.name = name;
  p.position = pos;
  for (std::string& a : activities) p.activities.emplace_back(std::move(a));
  p.tags = std::move(tags);
  return p;
}

// The ids of entries, in their order.
inline std::vector<std::string> EntryIds(const std::vector<const PlaceEntry*>& entries) {
  std::vector<std::string> out;
  for (const PlaceEntry* e : entries) out.push_back(e->id.str());
  return out;
}

inline Event MakeEvent(const std::string& id, EventType type, const std::string& user,
                       const std::string& place, TimeMs ts,
                       std::optional<std::string> activity = std::nullopt) {
  Event e;
  e.event_id = id;
  e.type = type;
  e.user = UserId(user);
  e.place = PlaceId(place);
  e.ts = ts;
  if (activity) e.activity = ActivityId(*activity);
  return e;
}

// Two coffee shops, a bar that is also a coffee shop, and a gym.
inline Model MakeModel() {
  Model m(ModelOptions{});
  m.UpsertPlace(MakePlace("p1", "Blue Bottle", {40.7200, -74.0000}, {"Coffee Shop"}, {"wifi"}));
  m.UpsertPlace(MakePlace("p2", "Joe", {40.7300, -74.0100}, {"Coffee Shop"}));
  m.UpsertPlace(MakePlace("p3", "Corner", {40.7400, -74.0200}, {"Coffee Shop", "Bar"}));
  m.UpsertPlace(MakePlace("g1", "Iron Gym", {40.7500, -74.0300}, {"Gym"}));
  return m;
}

inline const ActivityPlaceStat* Stat(const Model& m, const std::string& activity,
                                     const std::string& place) {
  const Model::PlaceStats* stats = m.StatsFor(ActivityId(activity));
  if (stats == nullptr) return nullptr;
  auto it = stats->find(PlaceId(place));
  return it == stats->end() ? nullptr : &it->second;
}

inline const UserPlaceStat* Mine(const Model& m, const std::string& user,
                                 const std::string& activity, const std::string& place) {
  const std::optional<uint32_t> n = m.PlaceNumber(PlaceId(place));
  return n ? m.UserHistory(UserId(user), ActivityId(activity)).Find(*n) : nullptr;
}

inline bool Lists(const std::vector<PlaceId>& ids, const std::string& place) {
  return std::find(ids.begin(), ids.end(), PlaceId(place)) != ids.end();
}

inline std::vector<std::string> Ids(const Answer& a) {
  std::vector<std::string> ids;
  for (const ScoredPlace& s : a.items) ids.push_back(s.place.str());
  return ids;
}

// Everything an answer says, so two answers can be compared exactly.
inline void ExpectSameAnswer(const Answer& a, const Answer& b, const std::string& what) {
  EXPECT_EQ(a.ok, b.ok) << what;
  EXPECT_EQ(a.activity, b.activity) << what;
  EXPECT_EQ(a.error, b.error) << what;
  EXPECT_EQ(a.suggestions, b.suggestions) << what;
  ASSERT_EQ(Ids(a), Ids(b)) << what;
  for (size_t i = 0; i < a.items.size(); ++i) {
    EXPECT_EQ(a.items[i].name, b.items[i].name) << what << " item " << i;
    EXPECT_DOUBLE_EQ(a.items[i].score, b.items[i].score) << what << " item " << i;
    EXPECT_EQ(a.items[i].distance_km, b.items[i].distance_km) << what << " item " << i;
    EXPECT_EQ(a.items[i].reasons, b.items[i].reasons) << what << " item " << i;
  }
}

}  // namespace locus::test_support
