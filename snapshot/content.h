// What one snapshot writes to MySQL, computed from a consistent view of the state: plain rows,
// in a stable order, with a content hash. No MySQL here (see writer.h), so it is unit-tested
// without a server.
//
// BuildContent loads the view into a fresh Model (the same decoding the engine uses; only the
// spaces that feed some table: not user profiles, transitions or learned parameters) and
// derives every table from it; it never touches the live engine or its lock. Equal state
// gives equal content (same rows, same order, same hash): that is the idempotency contract.
// Privacy: user ids appear only in `user_places`, which stays empty unless
// export_user_rows is set; everything else about users is an aggregate.
#pragma once

#include "src/core/model.h"
#include "src/core/state_io.h"
#include "src/core/status.h"
#include "src/core/types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace locus::snapshot {

struct ContentOptions {
  // The engine's model options; the half-life decays the scores.
  ModelOptions model;
  // Places ranked per activity in activity_place_scores.
  int top_n = 100;
  // Co-visited neighbours kept per place in place_neighbours.
  int neighbours_per_place = 10;
  // Fewest users two places must share to be neighbours (one shared user is noise).
  int64_t min_neighbour_users = 2;
  // Ranks per activity kept in daily_leaders.
  int leaders_per_day = 3;
  // Per-user rows (user_place_history); off: users appear only in aggregates.
  bool export_user_rows = false;
  // Recorded on the snapshots row.
  std::string model_version;
};

struct PlaceRow {
  std::string place_id, name;
  double lat = 0, lon = 0;
  std::string activities_json, tags_json;  // JSON arrays of strings
  int64_t visits = 0, clicks = 0, users = 0;
};

struct ActivityRow {
  std::string activity;
  int64_t places = 0, places_with_events = 0, visits = 0, clicks = 0, ratings = 0, users = 0;
  double popularity = 0;
};

struct ScoreRow {
  std::string activity;
  int rank = 0;
  std::string place_id;
  double score = 0;
  int64_t visits = 0, clicks = 0, ratings = 0;
  std::optional<double> mean_rating;
  TimeMs last_event = 0;  // 0: none
};

// Places visited by the same users: users = how many visited both, score = their cosine
// similarity users / sqrt(users(place) * users(neighbour)).
struct NeighbourRow {
  std::string place_id;
  int rank = 0;
  std::string neighbour_id;
  int64_t users = 0;
  double score = 0;
};

struct UserActivityRow {
  std::string activity;
  int64_t users = 0, visits = 0, clicks = 0, user_place_pairs = 0, returning_users = 0;
  double visits_per_user = 0;
};

struct UserPlaceRow {
  std::string user_id, activity, place_id;
  int64_t visits = 0, clicks = 0;
  TimeMs last_event = 0;
};

struct EngineStatRow {
  std::string name;
  double value = 0;
};

struct LeaderRow {
  std::string activity;
  int rank = 0;
  std::string place_id, name;
  double score = 0;
  int64_t visits = 0;
};

struct OffsetRow {
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;
};

struct SnapshotContent {
  std::string model_version;
  TimeMs state_ts = 0;  // newest event time in the state; 0 when empty
  int64_t events_applied = 0;
  int64_t users = 0;
  std::vector<OffsetRow> offsets;           // by topic, partition
  std::vector<PlaceRow> places;             // by place_id
  std::vector<ActivityRow> activities;      // by activity
  std::vector<ScoreRow> scores;             // by activity, rank
  std::vector<NeighbourRow> neighbours;     // by place_id, rank
  std::vector<UserActivityRow> user_stats;  // by activity
  std::vector<UserPlaceRow> user_places;    // by user, activity, place (export only)
  std::vector<EngineStatRow> engine_stats;  // by name
  std::vector<LeaderRow> leaders;           // by activity, rank (day of state_ts)
  // Entries of the state that could not be exported (ids too long or not UTF-8): skipped.
  int64_t skipped = 0;
  // FNV-1a 64 over every row above except offsets (see content.cc), 16 hex digits.
  std::string hash;

  // Rows in all tables, the snapshots row included.
  int64_t RowCount() const;
};

// Builds the content of a snapshot of `view`. Errors when the view cannot be read or decoded.
Result<SnapshotContent> BuildContent(const StateReader& view, const ContentOptions& options);

// JSON array of strings, e.g. ["Bar","Café"]: quotes, backslashes and control characters are
// escaped, other characters kept as UTF-8.
std::string JsonStringArray(const std::vector<std::string>& items);

}  // namespace locus::snapshot
