#include "snapshot/writer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace locus::snapshot {
namespace {

using Clock = std::chrono::steady_clock;

// Tables whose rows belong to one snapshot (pruned with it).
constexpr const char* kSnapshotTables[] = {"snapshot_offsets",   "places",
                                           "activities",         "activity_place_scores",
                                           "place_neighbours",   "user_activity_stats",
                                           "user_place_history", "engine_stats"};

// DOUBLE columns cannot hold NaN or infinities: those become NULL (and fail NOT NULL loudly).
SqlValue Num(double v) { return std::isfinite(v) ? SqlValue(v) : SqlValue(); }

template <class Row, class Fn>
std::vector<std::vector<SqlValue>> Rows(int64_t id, const std::vector<Row>& rows, Fn fn) {
  std::vector<std::vector<SqlValue>> out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    std::vector<SqlValue> values{id};
    fn(r, values);
    out.push_back(std::move(values));
  }
  return out;
}

Status InsertAll(MysqlSession& s, int64_t id, const SnapshotContent& c) {
  Status st =
      s.InsertRows("snapshot_offsets", {"snapshot_id", "topic", "`partition`", "next_offset"},
                   Rows(id, c.offsets, [](const OffsetRow& r, auto& v) {
                     v.insert(v.end(), {r.topic, int64_t{r.partition}, r.next_offset});
                   }));
  if (!st.ok()) return st;
  st = s.InsertRows("places",
                    {"snapshot_id", "place_id", "name", "lat", "lon", "activities", "tags",
                     "visits", "clicks", "users"},
                    Rows(id, c.places, [](const PlaceRow& r, auto& v) {
                      v.insert(v.end(),
                               {r.place_id, r.name, Num(r.lat), Num(r.lon), r.activities_json,
                                r.tags_json, r.visits, r.clicks, r.users});
                    }));
  if (!st.ok()) return st;
  st = s.InsertRows("activities",
                    {"snapshot_id", "activity", "places", "places_with_events", "visits", "clicks",
                     "ratings", "users", "popularity"},
                    Rows(id, c.activities, [](const ActivityRow& r, auto& v) {
                      v.insert(v.end(), {r.activity, r.places, r.places_with_events, r.visits,
                                         r.clicks, r.ratings, r.users, Num(r.popularity)});
                    }));
  if (!st.ok()) return st;
  st = s.InsertRows(
      "activity_place_scores",
      {"snapshot_id", "activity", "`rank`", "place_id", "score", "visits", "clicks", "ratings",
       "mean_rating", "last_event_at"},
      Rows(id, c.scores, [](const ScoreRow& r, auto& v) {
        v.insert(v.end(), {r.activity, int64_t{r.rank}, r.place_id, Num(r.score), r.visits,
                           r.clicks, r.ratings, r.mean_rating ? Num(*r.mean_rating) : SqlValue(),
                           SqlDateTime(r.last_event)});
      }));
  if (!st.ok()) return st;
  st = s.InsertRows(
      "place_neighbours", {"snapshot_id", "place_id", "`rank`", "neighbour_id", "users", "score"},
      Rows(id, c.neighbours, [](const NeighbourRow& r, auto& v) {
        v.insert(v.end(), {r.place_id, int64_t{r.rank}, r.neighbour_id, r.users, Num(r.score)});
      }));
  if (!st.ok()) return st;
  st =
      s.InsertRows("user_activity_stats",
                   {"snapshot_id", "activity", "users", "visits", "clicks", "user_place_pairs",
                    "returning_users", "visits_per_user"},
                   Rows(id, c.user_stats, [](const UserActivityRow& r, auto& v) {
                     v.insert(v.end(), {r.activity, r.users, r.visits, r.clicks, r.user_place_pairs,
                                        r.returning_users, Num(r.visits_per_user)});
                   }));
  if (!st.ok()) return st;
  st = s.InsertRows(
      "user_place_history",
      {"snapshot_id", "user_id", "activity", "place_id", "visits", "clicks", "last_event_at"},
      Rows(id, c.user_places, [](const UserPlaceRow& r, auto& v) {
        v.insert(v.end(), {r.user_id, r.activity, r.place_id, r.visits, r.clicks,
                           SqlDateTime(r.last_event)});
      }));
  if (!st.ok()) return st;
  return s.InsertRows("engine_stats", {"snapshot_id", "name", "value"},
                      Rows(id, c.engine_stats, [](const EngineStatRow& r, auto& v) {
                        v.insert(v.end(), {r.name, Num(r.value)});
                      }));
}

// The day's leaders: the latest snapshot of a day (of event time) replaces that day's rows.
Status WriteLeaders(MysqlSession& s, int64_t id, const SnapshotContent& c) {
  if (c.state_ts <= 0) return Status::Ok();
  const std::string day = SqlDate(c.state_ts);
  auto deleted = s.Execute("DELETE FROM daily_leaders WHERE day = ?", {day});
  if (!deleted.ok()) return deleted.status();
  std::vector<std::vector<SqlValue>> rows;
  for (const LeaderRow& r : c.leaders) {
    rows.push_back(
        {day, r.activity, int64_t{r.rank}, r.place_id, r.name, Num(r.score), r.visits, id});
  }
  return s.InsertRows(
      "daily_leaders",
      {"day", "activity", "`rank`", "place_id", "name", "score", "visits", "snapshot_id"}, rows);
}

// Deletes complete snapshots beyond the newest `keep` (and anything older). Returns how many
// snapshots went.
Result<int64_t> Prune(MysqlSession& s, int keep) {
  auto cutoff =
      s.QueryValue("SELECT id FROM snapshots WHERE complete = 1 ORDER BY id DESC LIMIT 1 OFFSET ?",
                   {int64_t{keep - 1}});
  if (!cutoff.ok()) return cutoff.status();
  if (!cutoff->has_value()) return int64_t{0};
  const int64_t below = std::stoll(**cutoff);
  for (const char* table : kSnapshotTables) {
    auto r = s.Execute(std::string("DELETE FROM ") + table + " WHERE snapshot_id < ?", {below});
    if (!r.ok()) return r.status();
  }
  return s.Execute("DELETE FROM snapshots WHERE id < ?", {below});
}

Result<WrittenSnapshot> WriteInTransaction(MysqlSession& s, const SnapshotContent& c,
                                           const WriteOptions& o) {
  const auto start = Clock::now();
  WrittenSnapshot w;
  w.rows = c.RowCount();
  w.hash = c.hash;
  auto r = s.Execute(
      "INSERT INTO snapshots (started_at, complete, writer, model_version, state_at, "
      "events_applied, places, activities, users, rows_written, content_hash) "
      "VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {SqlDateTime(o.started_at_ms), o.writer.substr(0, 255), c.model_version.substr(0, 128),
       SqlDateTime(c.state_ts), c.events_applied, static_cast<int64_t>(c.places.size()),
       static_cast<int64_t>(c.activities.size()), c.users, w.rows, c.hash});
  if (!r.ok()) return r.status();
  auto id = s.QueryValue("SELECT LAST_INSERT_ID()");
  if (!id.ok()) return id.status();
  w.id = std::stoll(id->value_or("0"));
  if (w.id <= 0) return Status::Error("MySQL returned no snapshot id");

  Status st = InsertAll(s, w.id, c);
  if (!st.ok()) return st;
  st = WriteLeaders(s, w.id, c);
  if (!st.ok()) return st;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  r = s.Execute("UPDATE snapshots SET complete = 1, finished_at = ?, duration_s = ? WHERE id = ?",
                {SqlDateTime(now_ms),
                 o.started_at_ms > 0 ? static_cast<double>(now_ms - o.started_at_ms) / 1000.0
                                     : std::chrono::duration<double>(Clock::now() - start).count(),
                 w.id});
  if (!r.ok()) return r.status();
  auto pruned = Prune(s, o.keep_snapshots);
  if (!pruned.ok()) return pruned.status();
  w.pruned = *pruned;
  return w;
}

}  // namespace

SqlValue SqlDateTime(int64_t ms) {
  if (ms <= 0) return SqlValue();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return std::string(buf);
}

std::string SqlDate(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

Result<WrittenSnapshot> WriteSnapshot(MysqlSession& session, const SnapshotContent& content,
                                      const WriteOptions& options) {
  if (options.keep_snapshots < 1) return Status::Error("keep_snapshots must be at least 1");
  const auto start = Clock::now();
  Status s = session.Begin();
  if (!s.ok()) return s;
  auto written = WriteInTransaction(session, content, options);
  if (!written.ok()) {
    session.Rollback();
    return written.status();
  }
  s = session.Commit();
  if (!s.ok()) {
    session.Rollback();
    return s;
  }
  written->write_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return written;
}

}  // namespace locus::snapshot
