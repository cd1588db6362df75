#include "snapshot/content.h"

#include "snapshot/migrations.h"
#include "src/core/bytes.h"
#include "src/core/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace locus::snapshot {
namespace {

// Column limits of schemas/mysql/0001 (VARCHAR counts characters; bytes bound characters).
constexpr size_t kIdBytes = 128;
constexpr size_t kActivityBytes = 256;
constexpr size_t kNameBytes = 1024;
constexpr size_t kTextBytes = 4096;
constexpr std::string_view kOffsetPrefix = "offset/";

// Ids are keys: exported only when they fit exactly, never truncated (two ids could collide).
bool Exportable(const std::string& id, size_t max_bytes) {
  return !id.empty() && id.size() <= max_bytes && ValidUtf8(id);
}

std::string CleanText(std::string_view s, size_t max_bytes) { return SafeUtf8Prefix(s, max_bytes); }

// Canonical bytes of the rows for the content hash: fixed-width numbers (doubles by their
// bits, so equal means bit-identical) and length-prefixed strings.
class Hasher {
 public:
  Hasher& S(std::string_view s) {
    I(static_cast<int64_t>(s.size()));
    h_.Add(s);
    return *this;
  }
  Hasher& I(int64_t v) {
    w_ = ByteWriter();
    w_.I64(v);
    h_.Add(w_.bytes());
    return *this;
  }
  Hasher& D(double v) {
    w_ = ByteWriter();
    w_.F64(v);
    h_.Add(w_.bytes());
    return *this;
  }
  Hasher& Table(std::string_view name, size_t rows) {
    return S(name).I(static_cast<int64_t>(rows));
  }
  std::string Hex() const { return h_.Hex(); }

 private:
  Fnv1a64 h_;
  ByteWriter w_;
};

std::string HashOf(const SnapshotContent& c) {
  Hasher h;
  h.S("locus-snapshot-1").I(c.state_ts).I(c.events_applied).I(c.users);
  h.Table("places", c.places.size());
  for (const auto& r : c.places) {
    h.S(r.place_id).S(r.name).D(r.lat).D(r.lon).S(r.activities_json).S(r.tags_json);
    h.I(r.visits).I(r.clicks).I(r.users);
  }
  h.Table("activities", c.activities.size());
  for (const auto& r : c.activities) {
    h.S(r.activity).I(r.places).I(r.places_with_events).I(r.visits).I(r.clicks).I(r.ratings);
    h.I(r.users).D(r.popularity);
  }
  h.Table("scores", c.scores.size());
  for (const auto& r : c.scores) {
    h.S(r.activity).I(r.rank).S(r.place_id).D(r.score).I(r.visits).I(r.clicks).I(r.ratings);
    h.I(r.mean_rating.has_value()).D(r.mean_rating.value_or(0)).I(r.last_event);
  }
  h.Table("neighbours", c.neighbours.size());
  for (const auto& r : c.neighbours) {
    h.S(r.place_id).I(r.rank).S(r.neighbour_id).I(r.users).D(r.score);
  }
  h.Table("user_stats", c.user_stats.size());
  for (const auto& r : c.user_stats) {
    h.S(r.activity).I(r.users).I(r.visits).I(r.clicks).I(r.user_place_pairs);
    h.I(r.returning_users).D(r.visits_per_user);
  }
  h.Table("user_places", c.user_places.size());
  for (const auto& r : c.user_places) {
    h.S(r.user_id).S(r.activity).S(r.place_id).I(r.visits).I(r.clicks).I(r.last_event);
  }
  h.Table("engine_stats", c.engine_stats.size());
  for (const auto& r : c.engine_stats) h.S(r.name).D(r.value);
  h.Table("leaders", c.leaders.size());
  for (const auto& r : c.leaders) {
    h.S(r.activity).I(r.rank).S(r.place_id).S(r.name).D(r.score).I(r.visits);
  }
  return h.Hex();
}

Status ReadOffsets(const StateReader& view, std::vector<OffsetRow>& out) {
  return view.Scan(Space::kMeta, [&](std::string_view key, std::string_view value) {
    if (!key.starts_with(kOffsetPrefix)) return;
    key.remove_prefix(kOffsetPrefix.size());
    const size_t slash = key.find_last_of('/');
    int64_t next = 0;
    ByteReader r(value);
    if (slash == std::string_view::npos || !r.I64(next)) return;
    int32_t partition = 0;
    if (std::sscanf(std::string(key.substr(slash + 1)).c_str(), "%d", &partition) != 1) return;
    out.push_back({std::string(key.substr(0, slash)), partition, next});
  });
}

// Per-user aggregates, computed once over the users map.
struct UserAggregates {
  std::unordered_map<PlaceId, int64_t> users_per_place;
  std::map<std::string, UserActivityRow> per_activity;
  int64_t user_place_pairs = 0;
};

UserAggregates AggregateUsers(const Model& model) {
  UserAggregates agg;
  std::vector<uint32_t> places;
  for (const auto& [user, state] : model.users()) {
    places.clear();
    model.ForEachActivity(state.history,
                          [&](const ActivityId& activity, Model::UserPlaces visited) {
                            UserActivityRow& row = agg.per_activity[activity.str()];
                            row.users++;
                            bool returning = false;
                            for (const UserPlaceEntry& h : visited) {
                              row.visits += h.stat.visits;
                              row.clicks += h.stat.clicks;
                              row.user_place_pairs++;
                              returning = returning || h.stat.visits >= 2;
                              places.push_back(h.place);
                            }
                            if (returning) row.returning_users++;
                            agg.user_place_pairs += static_cast<int64_t>(visited.size());
                          });
    // Each place once per user (a place listed under two activities is in both).
    std::sort(places.begin(), places.end());
    places.erase(std::unique(places.begin(), places.end()), places.end());
    for (uint32_t p : places) agg.users_per_place[model.IndexedId(p)]++;
  }
  return agg;
}

// The view with only the spaces a snapshot exports from: loading user profiles, transitions
// and latent factors would cost time and change no row. Of the learned parameters only the
// blend's weights are read (one entry; they go to engine_stats).
class ExportedSpaces final : public StateReader {
 public:
  explicit ExportedSpaces(const StateReader& view) : view_(view) {}
  Status Scan(Space space,
              const std::function<void(std::string_view, std::string_view)>& visit) const override {
    if (space == Space::kProfiles || space == Space::kTransitions) return Status::Ok();
    if (space == Space::kLearned) {
      if (auto blend = view_.Get(space, Model::kBlendKey)) visit(Model::kBlendKey, *blend);
      return Status::Ok();
    }
    return view_.Scan(space, visit);
  }
  std::optional<std::string> Get(Space space, std::string_view key) const override {
    return view_.Get(space, key);
  }
  uint64_t EntriesHint(Space space) const override { return view_.EntriesHint(space); }

 private:
  const StateReader& view_;
};

}  // namespace

std::string JsonStringArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (unsigned char c : items[i]) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
  }
  return out + "]";
}

int64_t SnapshotContent::RowCount() const {
  return static_cast<int64_t>(1 + offsets.size() + places.size() + activities.size() +
                              scores.size() + neighbours.size() + user_stats.size() +
                              user_places.size() + engine_stats.size() + leaders.size());
}

Result<SnapshotContent> BuildContent(const StateReader& view, const ContentOptions& options) {
  Model model(options.model);
  Status s = model.Load(ExportedSpaces(view));
  if (!s.ok()) return Status::Error("reading the state: " + s.message());

  SnapshotContent c;
  c.model_version = options.model_version;
  c.state_ts = model.newest_ts();
  c.events_applied = model.events_applied();
  c.users = static_cast<int64_t>(model.users().size());
  s = ReadOffsets(view, c.offsets);
  if (!s.ok()) return Status::Error("reading the offsets: " + s.message());
  std::sort(c.offsets.begin(), c.offsets.end(), [](const OffsetRow& a, const OffsetRow& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });

  const double half_life = model.half_life_ms();
  const TimeMs at = model.newest_ts();
  const UserAggregates users = AggregateUsers(model);

  // Places, by id, with their totals over all activities.
  std::unordered_map<PlaceId, std::pair<int64_t, int64_t>> place_totals;  // visits, clicks
  for (const auto& [activity, stats] : model.activity_stats()) {
    for (const auto& [place, st] : stats) {
      place_totals[place].first += st.visits;
      place_totals[place].second += st.clicks;
    }
  }
  std::vector<const Place*> places;
  model.ForEachPlace([&](const Place& place) {
    if (Exportable(place.id.str(), kIdBytes)) {
      places.push_back(&place);
    } else {
      c.skipped++;
    }
  });
  std::sort(places.begin(), places.end(),
            [](const Place* a, const Place* b) { return a->id < b->id; });
  std::unordered_set<PlaceId> exported_places;
  for (const Place* p : places) {
    PlaceRow row{p->id.str(),
                 CleanText(p->name, kNameBytes),
                 p->position.lat,
                 p->position.lon,
                 "",
                 "",
                 0,
                 0,
                 0};
    std::vector<std::string> acts, tags;
    for (const ActivityId& a : p->activities) acts.push_back(CleanText(a.str(), kTextBytes));
    for (const std::string& t : p->tags) tags.push_back(CleanText(t, kTextBytes));
    row.activities_json = JsonStringArray(acts);
    row.tags_json = JsonStringArray(tags);
    if (auto it = place_totals.find(p->id); it != place_totals.end()) {
      row.visits = it->second.first;
      row.clicks = it->second.second;
    }
    if (auto it = users.users_per_place.find(p->id); it != users.users_per_place.end()) {
      row.users = it->second;
    }
    c.places.push_back(std::move(row));
    exported_places.insert(p->id);
  }

  // Activities: every activity a place offers or an event named.
  std::set<std::string> activity_names;
  for (const Place* p : places) {
    for (const ActivityId& a : p->activities) activity_names.insert(a.str());
  }
  for (const auto& [activity, stats] : model.activity_stats())
    activity_names.insert(activity.str());
  for (const std::string& name : activity_names) {
    if (!Exportable(name, kActivityBytes)) {
      c.skipped++;
      continue;
    }
    const ActivityId activity(name);
    ActivityRow row{name, 0, 0, 0, 0, 0, 0, 0};
    if (const auto* linked = model.ListedEntries(activity)) {
      row.places = static_cast<int64_t>(linked->size());
    }
    if (auto it = users.per_activity.find(name); it != users.per_activity.end()) {
      row.users = it->second.users;
    }
    // Scores in a fixed order (popularity desc, place id asc) so sums and ranks are stable.
    std::vector<std::pair<double, const std::pair<const PlaceId, ActivityPlaceStat>*>> ranked;
    if (const Model::PlaceStats* stats = model.StatsFor(activity)) {
      for (const auto& entry : *stats) {
        if (!exported_places.count(entry.first)) continue;
        ranked.emplace_back(entry.second.popularity.At(at, half_life), &entry);
      }
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second->first < b.second->first;
    });
    row.places_with_events = static_cast<int64_t>(ranked.size());
    for (size_t i = 0; i < ranked.size(); ++i) {
      const ActivityPlaceStat& st = ranked[i].second->second;
      row.visits += st.visits;
      row.clicks += st.clicks;
      row.ratings += st.ratings;
      row.popularity += ranked[i].first;
      if (static_cast<int>(i) >= options.top_n) continue;
      ScoreRow score{name,
                     static_cast<int>(i) + 1,
                     ranked[i].second->first.str(),
                     ranked[i].first,
                     st.visits,
                     st.clicks,
                     st.ratings,
                     std::nullopt,
                     st.last};
      if (st.ratings > 0) score.mean_rating = st.rating_sum / static_cast<double>(st.ratings);
      if (at > 0 && score.rank <= options.leaders_per_day) {
        // The name is filled in below, from the place rows.
        c.leaders.push_back({name, score.rank, score.place_id, {}, score.score, score.visits});
      }
      c.scores.push_back(std::move(score));
    }
    c.activities.push_back(std::move(row));
  }
  // Leader names from the place rows (binary search: rows are sorted by id).
  for (LeaderRow& leader : c.leaders) {
    auto it =
        std::lower_bound(c.places.begin(), c.places.end(), leader.place_id,
                         [](const PlaceRow& r, const std::string& id) { return r.place_id < id; });
    if (it != c.places.end() && it->place_id == leader.place_id) leader.name = it->name;
  }

  // Co-visitation neighbours of each place, best first (ties: neighbour id).
  struct Near {
    double score;
    const PlaceId* id;
    int64_t users;
  };
  std::vector<Near> near;
  for (const Place* p : places) {
    const Model::PlaceCounts* row = model.CoVisits(p->id);
    const PlaceProfile* info = model.PlaceInfo(p->id);
    if (row == nullptr || info == nullptr || info->users <= 0) continue;
    near.clear();
    for (size_t j = 0; j < row->size(); ++j) {
      const PlaceId& id = model.IndexedId(row->key(j));
      const int64_t both = row->count(j);
      const PlaceProfile* other = model.PlaceInfo(id);
      if (both < std::max<int64_t>(1, options.min_neighbour_users) || other == nullptr ||
          other->users <= 0 || !exported_places.count(id)) {
        continue;
      }
      near.push_back({static_cast<double>(both) / std::sqrt(static_cast<double>(info->users) *
                                                            static_cast<double>(other->users)),
                      &id, both});
    }
    std::sort(near.begin(), near.end(), [](const Near& a, const Near& b) {
      return a.score != b.score ? a.score > b.score : *a.id < *b.id;
    });
    const size_t n =
        std::min(near.size(), static_cast<size_t>(std::max(0, options.neighbours_per_place)));
    for (size_t i = 0; i < n; ++i) {
      c.neighbours.push_back(
          {p->id.str(), static_cast<int>(i) + 1, near[i].id->str(), near[i].users, near[i].score});
    }
  }

  // Users: aggregates per activity; per-user rows only when asked for.
  for (const auto& [name, agg] : users.per_activity) {
    if (!Exportable(name, kActivityBytes)) continue;  // counted with the activities
    UserActivityRow row = agg;
    row.activity = name;
    row.visits_per_user = row.users ? static_cast<double>(row.visits) / row.users : 0;
    c.user_stats.push_back(std::move(row));
  }
  if (options.export_user_rows) {
    for (const auto& [user, state] : model.users()) {
      if (!Exportable(user.str(), kIdBytes)) {
        c.skipped++;
        continue;
      }
      model.ForEachActivity(
          state.history, [&](const ActivityId& activity, Model::UserPlaces visited) {
            if (!Exportable(activity.str(), kActivityBytes)) return;
            for (const UserPlaceEntry& h : visited) {
              const PlaceId& place = model.IndexedId(h.place);
              if (!Exportable(place.str(), kIdBytes)) continue;
              c.user_places.push_back({user.str(), activity.str(), place.str(), h.stat.visits,
                                       h.stat.clicks, h.stat.last});
            }
          });
    }
    std::sort(c.user_places.begin(), c.user_places.end(),
              [](const UserPlaceRow& a, const UserPlaceRow& b) {
                return std::tie(a.user_id, a.activity, a.place_id) <
                       std::tie(b.user_id, b.activity, b.place_id);
              });
  }

  // Engine statistics of the state (process counters such as requests answered are not
  // state: they live in /metrics, and would break "same state, same rows").
  std::map<std::string, double> stats;
  int64_t pairs = 0;
  for (const auto& [activity, st] : model.activity_stats())
    pairs += static_cast<int64_t>(st.size());
  int64_t rejected = 0;
  for (const auto& [reason, n] : model.rejected()) {
    stats["rejected." + CleanText(reason, 100)] = static_cast<double>(n);
    rejected += n;
  }
  stats["events_applied"] = static_cast<double>(c.events_applied);
  stats["events_rejected"] = static_cast<double>(rejected);
  stats["places"] = static_cast<double>(model.place_count());
  stats["activities"] = static_cast<double>(activity_names.size());
  stats["users"] = static_cast<double>(c.users);
  stats["activity_place_pairs"] = static_cast<double>(pairs);
  stats["user_place_pairs"] = static_cast<double>(users.user_place_pairs);
  stats["state_newest_ts_ms"] = static_cast<double>(c.state_ts);
  stats["export_skipped_entries"] = static_cast<double>(c.skipped);
  // The learned blend: how much each signal counts now (names as in `locus state dump`).
  const Blend& blend = model.blend();
  if (blend.steps > 0) {
    stats["blend.steps"] = static_cast<double>(blend.steps);
    stats["blend.mean_loss"] = model.blend_loss();
    for (size_t i = 0; i < kNumGateFeatures; ++i) {
      stats[std::string("blend.gate.") + kGateFeatureNames[i]] = blend.gate.w[i];
    }
    for (size_t i = 0; i < Blend::kReturnSize; ++i) {
      stats[std::string("blend.return.") + kFeatureNames[Blend::kReturnFeatures[i]]] =
          blend.ret.w[i];
    }
    for (size_t i = 0; i < Blend::kExploreSize; ++i) {
      stats[std::string("blend.explore.") + kFeatureNames[Blend::kExploreFeatures[i]]] =
          blend.explore.w[i];
    }
  }
  for (const auto& [name, value] : stats) c.engine_stats.push_back({name, value});

  c.hash = HashOf(c);
  return c;
}

}  // namespace locus::snapshot
