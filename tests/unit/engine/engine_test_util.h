// Messages the engine tests feed in: a place and an event as the topics carry them.
#pragma once

#include "src/codec/messages.h"
#include "src/core/types.h"

#include <string>

namespace locus::test_support {

inline constexpr TimeMs kT0 = 1'333'476'009'000;  // 2012-04-03T18:00:09Z
inline constexpr const char* kPlaces = "locus.places";
inline constexpr const char* kEvents = "locus.events";

// A place with one activity at (lat, -74.0), as JSON of the places topic.
inline std::string PlaceJson(const std::string& id, double lat, const std::string& activity) {
  Place p;
  p.id = PlaceId(id);
  p.name = "Place " + id;
  p.position = {lat, -74.0};
  p.activities = {ActivityId(activity)};
  return EncodePlace(p);
}

// An event as JSON of the events topic.
inline std::string EventJson(const std::string& id, const std::string& user,
                             const std::string& place, TimeMs ts,
                             EventType type = EventType::kVisit) {
  Event e;
  e.event_id = id;
  e.type = type;
  e.user = UserId(user);
  e.place = PlaceId(place);
  e.ts = ts;
  return EncodeEvent(e);
}

}  // namespace locus::test_support
