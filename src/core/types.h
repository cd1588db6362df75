// Plain domain types shared by every part of locus: strong ids, positions, events, places,
// queries and answers. No I/O, no clocks.
#pragma once

#include <algorithm>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locus {

// A string id with a tag, so a UserId cannot be passed where a PlaceId is expected.
// The hash is computed once: ids are hashed far more often than they are made.
template <class Tag>
class Id {
 public:
  Id() : hash_(std::hash<std::string>{}(value_)) {}
  explicit Id(std::string value)
      : value_(std::move(value)), hash_(std::hash<std::string>{}(value_)) {}
  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }
  size_t hash() const { return hash_; }
  std::strong_ordering operator<=>(const Id& other) const { return value_ <=> other.value_; }
  bool operator==(const Id& other) const { return hash_ == other.hash_ && value_ == other.value_; }

 private:
  std::string value_;
  size_t hash_;
};

using UserId = Id<struct UserIdTag>;
using PlaceId = Id<struct PlaceIdTag>;
// An activity as places name it ("Coffee Shop"); the resolver maps free text onto these.
using ActivityId = Id<struct ActivityIdTag>;

// Event time and request time: milliseconds since the Unix epoch, UTC.
using TimeMs = int64_t;

struct GeoPoint {
  double lat = 0;
  double lon = 0;
};

enum class EventType { kClick, kVisit, kRating };

struct Event {
  std::string event_id;
  EventType type = EventType::kVisit;
  UserId user;
  PlaceId place;
  // The activity the user did there; absent: the place's own activities.
  std::optional<ActivityId> activity;
  TimeMs ts = 0;
  std::optional<GeoPoint> position;
  // Rating value (0..10) for rating events.
  std::optional<double> value;
};

struct Place {
  PlaceId id;
  std::string name;
  GeoPoint position;
  std::vector<ActivityId> activities;
  std::vector<std::string> tags;

  // True when the place lists `activity`.
  bool Lists(const ActivityId& activity) const {
    return std::find(activities.begin(), activities.end(), activity) != activities.end();
  }
};

struct Query {
  std::string request_id;
  // Free text as the person typed it; resolved to a known activity.
  std::string activity_text;
  std::optional<UserId> user;
  std::optional<GeoPoint> position;
  std::optional<double> radius_km;
  std::optional<int> k;
  // The time the answer is for; absent: the newest event time the engine has seen.
  std::optional<TimeMs> at;
  std::vector<PlaceId> exclude;
};

struct ScoredPlace {
  PlaceId place;
  std::string name;
  double score = 0;
  std::optional<double> distance_km;
  std::vector<std::string> reasons;
};

struct Answer {
  std::string request_id;
  bool ok = true;
  // The activity as resolved (or the text as given when it could not be resolved).
  std::string activity;
  std::string error;
  std::vector<std::string> suggestions;
  std::vector<ScoredPlace> items;
  std::string model_version;
  double took_ms = 0;
};

const char* EventTypeName(EventType type);
// The type named `name` ("click", "visit", "rating"); nullopt for any other text.
std::optional<EventType> EventTypeNamed(std::string_view name);

}  // namespace locus

template <class Tag>
struct std::hash<locus::Id<Tag>> {
  size_t operator()(const locus::Id<Tag>& id) const noexcept { return id.hash(); }
};
