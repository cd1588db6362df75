// What locus has learned, in memory: places and their activities, time-decayed
// activity-place popularity, and each user's own visits per activity. It is updated event by
// event, persisted through StateWriter (only what changed since the last Persist) and
// restored through StateReader. Durable truth is the store; this is its hot copy.
//
// Not thread-safe: the engine serialises writers and lets readers share a lock.
// State depends only on the events applied (time comes from each event's ts).
#pragma once

#include "src/core/activity_resolver.h"
#include "src/core/als.h"
#include "src/core/blend.h"
#include "src/core/count_row.h"
#include "src/core/decay.h"
#include "src/core/dirty_list.h"
#include "src/core/entry_index.h"
#include "src/core/factors.h"
#include "src/core/geo.h"
#include "src/core/grid_index.h"
#include "src/core/stable_vector.h"
#include "src/core/state_io.h"
#include "src/core/status.h"
#include "src/core/types.h"

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace locus {

struct ModelOptions {
  // Half-life of activity-place popularity, days of event time.
  double popularity_half_life_days = 30.0;
  // Weight of a visit and of a click in popularity and personal history.
  double visit_weight = 1.0;
  double click_weight = 0.3;
  // Distance (km) at which geographic decay halves.
  double distance_scale_km = 1.0;
  // Alias text -> activity.
  std::map<std::string, std::string> aliases;
  // Full factor retrain (ALS) every this many days of event time, started at the first event
  // of a new period (UTC day boundaries for 1); 0 turns it off.
  double retrain_every_days = 1.0;
  // The retrained model is installed at the first event this many minutes of event time after
  // the period began: the same point live and in a replay when the training is done by then.
  double retrain_install_after_minutes = 60.0;
  // When the training is not done at that point (events coming faster than real time: a
  // backlog, a replay): true, the install waits for it, so every replay installs at the same
  // event whatever the training took, and ingestion pauses meanwhile; false, ingestion goes on
  // and the model is installed at the first event after the training is done (the next
  // retrain starts after that install: under a backlog, retrains follow one another).
  bool retrain_install_waits = false;
  AlsOptions als;
  // The blend learns from every event until this many were applied, then from a deterministic
  // sample (by event id) of share blend_full_events / events_applied. Its parameters are few:
  // early steps set them, later ones refine, and a step costs as much as answering a question
  // (features of ~70 candidates), far more than the counters. Steps keep coming (about
  // blend_full_events per e-fold of events), so it still follows drift. 0: every event.
  int64_t blend_full_events = 20000;
  // Entries of a place's co-visit row: past a quarter more than this, the entries counted
  // once (98% of them: noise beside a popular place's) are cut back to fit it, chosen by a
  // hash of the place ids salted with the row's other counts, the same live and after a
  // restart; the entries counted more all stay. 0: unbounded.
  size_t covisit_row_limit = 1024;
};

// Runs the full retrain: inline, or on another thread (the engine). The model calls Start at
// a deterministic event and Finish at another, and installs what Finish returns.
class RetrainRunner {
 public:
  virtual ~RetrainRunner() = default;
  virtual void Start(Interactions data, AlsOptions options, std::string version) = 0;
  // The model of the last Start, waiting for it if it is not done; nullptr if none started.
  virtual std::shared_ptr<const AlsModel> Finish() = 0;
  // True when Finish would not wait.
  virtual bool Ready() const = 0;
};

// Trains inside Start: for replays and tests.
class InlineRetrainRunner final : public RetrainRunner {
 public:
  void Start(Interactions data, AlsOptions options, std::string version) override {
    done_ = AlsModel::Train(std::move(data), options, std::move(version));
  }
  std::shared_ptr<const AlsModel> Finish() override { return std::move(done_); }
  bool Ready() const override { return true; }

 private:
  std::shared_ptr<const AlsModel> done_;
};

// Popularity of a place for one activity, across all users.
struct ActivityPlaceStat {
  int64_t visits = 0;
  int64_t clicks = 0;
  int64_t ratings = 0;
  double rating_sum = 0;
  DecayedValue popularity;  // visits and clicks, weighted and decayed
  TimeMs last = 0;          // newest event time
};

// A place's stat as the activity's table holds it (the node's address stays put).
using ActivityPlaceStatNode = std::pair<const PlaceId, ActivityPlaceStat>;

// One user's own events at a place for one activity. The counts saturate at 2^32 - 1 (a
// person's visits to one place never come near; 4 bytes each keep a history entry at 24).
struct UserPlaceStat {
  uint32_t visits = 0;
  uint32_t clicks = 0;
  TimeMs last = 0;

  // Counts one more event of `type` (a visit or a click).
  void Count(EventType type) {
    uint32_t& n = type == EventType::kVisit ? visits : clicks;
    if (n != std::numeric_limits<uint32_t>::max()) ++n;
  }
};

// One entry of a user's history: their events at one place for one activity, by the
// activity's and the place's numbers in the model (Model::HistoryActivity, Model::IndexedId).
// 24 bytes: a user's history is one sorted array, where nested hash maps of ids took ~375
// bytes an entry (and a user-place pair per new visit is most of what events add).
struct UserPlaceEntry {
  uint32_t activity = 0;
  uint32_t place = 0;
  UserPlaceStat stat;

  // The order of a history: by activity number, then place number.
  static bool Before(const UserPlaceEntry& x, const UserPlaceEntry& y) {
    return std::pair(x.activity, x.place) < std::pair(y.activity, y.place);
  }
};
static_assert(sizeof(UserPlaceEntry) == 24);

// A user's places for one activity: a view into the model, valid until the model next
// changes. Sorted by place number (which carries no meaning: readers that sum in an order
// sort by place id).
class UserPlaces {
 public:
  UserPlaces() = default;
  UserPlaces(const UserPlaceEntry* begin, const UserPlaceEntry* end) : begin_(begin), end_(end) {}
  const UserPlaceEntry* begin() const { return begin_; }
  const UserPlaceEntry* end() const { return end_; }
  size_t size() const { return static_cast<size_t>(end_ - begin_); }
  bool empty() const { return begin_ == end_; }
  // The user's events at the place numbered `place`; nullptr when none.
  const UserPlaceStat* Find(uint32_t place) const {
    const UserPlaceEntry* it = std::lower_bound(
        begin_, end_, place, [](const UserPlaceEntry& e, uint32_t p) { return e.place < p; });
    return it != end_ && it->place == place ? &it->stat : nullptr;
  }
  bool contains(uint32_t place) const { return Find(place) != nullptr; }

 private:
  const UserPlaceEntry* begin_ = nullptr;
  const UserPlaceEntry* end_ = nullptr;
};

// What locus knows about a user beyond per-place counts: where they were last, their area,
// how often they return. Per-user state: depends only on the user's own events.
// Places are by their number in the model (Model::IndexedId): 4 bytes where an id took 40 (and
// a heap block when longer than 15 characters), and `recent` holds up to 16.
struct UserProfile {
  std::optional<uint32_t> last_place;
  std::optional<GeoPoint> last_position;
  TimeMs last_ts = 0;
  // Centroid of the user's located events (their home area), as sums.
  double sum_lat = 0, sum_lon = 0;
  int64_t located = 0;
  // Visits, and visits to a place the user had been to before.
  int64_t visits = 0, repeats = 0;
  // The most recent distinct places, newest last (co-visitation context).
  std::vector<uint32_t> recent;
};

// Per-place aggregates across users.
struct PlaceProfile {
  int64_t users = 0;  // distinct users
  // Events by UTC hour, each saturating at 2^32 - 1 (4 bytes: 96 fewer per place than 8).
  std::array<uint32_t, 24> hours{};
  DecayedValue recent;  // short half-life popularity
};

// A place as the model holds it: the place itself and, one pointer away, what scoring reads
// about it from the other tables (so scoring a candidate costs one lookup, not five; at 1M
// places every lookup is a cache miss). The pointers point into tables whose entries never
// move and are never erased while the model lives (activity_stats_, place_profiles_, the
// factor tables, the installed AlsModel), so they stay valid; the model keeps them complete:
// `stats` has an entry for every activity with stats for this place, `profile` is set once it
// had an event, `bpr` once it has a factor vector, `als` while the installed retrain has one.
struct PlaceEntry : Place {
  PlaceEntry() = default;
  explicit PlaceEntry(Place p) : Place(std::move(p)), cos_lat(CosLatitude(position)) {}
  // Replaces the place's listing (name, position, activities...), keeping what was learned.
  void Relist(Place p) {
    static_cast<Place&>(*this) = std::move(p);
    cos_lat = CosLatitude(position);
  }
  // CosLatitude(position), kept beside it: an answer measures hundreds of distances.
  double cos_lat = 1;
  // (activity, stat): the activity is the key of its Model::activity_stats() node, both
  // pointers (16 bytes where a copy of the id took 40 more).
  std::vector<std::pair<const ActivityId*, const ActivityPlaceStatNode*>> stats;
  const PlaceProfile* profile = nullptr;
  const FactorModel::PackedVector* bpr = nullptr;
  const float* als = nullptr;
  // The place's number in this model (dense from 0, kept through a delete and a re-add):
  // what co-visitation and transition rows are keyed by. Not stored; a restart renumbers.
  uint32_t index = 0;

  // This place's (activity, stat) entry for `activity`; nullptr when it has none.
  const std::pair<const ActivityId*, const ActivityPlaceStatNode*>* StatEntryFor(
      const ActivityId& activity) const {
    for (const auto& entry : stats) {
      if (*entry.first == activity) return &entry;
    }
    return nullptr;
  }
  // This place's stats for `activity`; nullptr when it has none.
  const ActivityPlaceStat* StatFor(const ActivityId& activity) const {
    const auto* entry = StatEntryFor(activity);
    return entry != nullptr ? &entry->second->second : nullptr;
  }
};

class Model;

// What one event changes in the rows that are sums over users (keyed by place or by
// activity), given its user's state before it. The owner of the user's partition derives it
// (Model::ApplyUser: it needs the user's state); whoever aggregates a row applies the part
// keyed by that row (Model::ApplyFact). One instance does both (Model::Apply). Scale-out
// moves facts between instances through the by-place topic (README "Scale-out").
struct EventFact {
  PlaceId place;
  EventType type = EventType::kVisit;
  TimeMs ts = 0;
  double value = 0;  // a rating's value
  // The activities credited: the one the event named (named = true), else those the place
  // listed at the user's side. A named one the place does not list is learned as its link.
  std::vector<ActivityId> activities;
  bool named = false;
  bool seen_before = false;        // the user had been here before: not a new visitor
  std::vector<PlaceId> covisited;  // a new visitor's recent other places (co-visitation)
  std::optional<PlaceId> from;     // the user's previous place, when another (transition)
  // The numbers of place, covisited and from in the model that made the fact (ApplyUser), for
  // that model's own ApplyFact (Model::Apply): it then looks none of the ids up (two lookups
  // by id for each co-visited place). Any other model finds them by id.
  const Model* numbered_by = nullptr;
  uint32_t place_number = 0;
  std::vector<uint32_t> covisited_numbers;
  uint32_t from_number = 0;
};

// Which rows a model aggregates (ApplyFact applies the parts keyed by them). Rows are keyed
// by place id (stats, place profile, co-visits and transitions out of it) or by activity id
// (hours of day, repeat visits).
class RowOwner {
 public:
  virtual ~RowOwner() = default;
  virtual bool OwnsPlace(const PlaceId& place) const = 0;
  virtual bool OwnsActivity(const ActivityId& activity) const = 0;
};

// Hash of id pairs (the dirty sets' keys).
struct IdPairHash {
  template <class A, class B>
  size_t operator()(const std::pair<A, B>& p) const noexcept {
    return p.first.hash() * 0x9E3779B97F4A7C15ULL ^ p.second.hash();
  }
};

// Hash of a user history entry's key (user, activity number, place number).
struct UserEntryHash {
  size_t operator()(const std::tuple<UserId, uint32_t, uint32_t>& k) const noexcept {
    return std::get<0>(k).hash() * 0x9E3779B97F4A7C15ULL ^
           (uint64_t{std::get<1>(k)} << 32 | std::get<2>(k)) * 0xBF58476D1CE4E5B9ULL;
  }
};

class Model {
 public:
  using PlaceStats = std::unordered_map<PlaceId, ActivityPlaceStat>;
  using UserPlaces = locus::UserPlaces;
  // A user's history: entries sorted by activity number, then place number.
  using History = std::vector<UserPlaceEntry>;
  // Counts by place index (PlaceEntry::index; IndexedPlace and IndexedId turn it back).
  using PlaceCounts = CountRow;

  explicit Model(ModelOptions options);
  // Places point into the model's own tables: a copy would point into the original's.
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  // Key of the blend's weights in Space::kLearned (read alone by the snapshot).
  static constexpr std::string_view kBlendKey = "blend";

  // Places (the places topic). Upserting replaces the place and its activity links.
  void UpsertPlace(Place place);
  void DeletePlace(const PlaceId& id);
  const PlaceEntry* FindPlace(const PlaceId& id) const;
  // The listed place numbered `index` (nullptr once deleted), and the id of any number given.
  const PlaceEntry* IndexedPlace(uint32_t index) const { return live_by_index_[index]; }
  const PlaceId& IndexedId(uint32_t index) const { return entries_[index].id; }
  size_t place_count() const { return place_index_.size(); }
  // f(entry) for every listed place, in number order.
  template <class F>
  void ForEachPlace(F f) const {
    for (const PlaceEntry* entry : live_by_index_) {
      if (entry != nullptr) f(*entry);
    }
  }

  // Applies one valid event. Error (and nothing changed) when its place is unknown.
  Status Apply(const Event& event);
  // Apply's two halves. ApplyUser: the user's own state and the learners, and `fact`, what
  // the event adds to the rows summed over users (error, nothing changed, for an unknown
  // place). ApplyFact: the fact's parts keyed by rows `owner` owns (nullptr: every row). Apply
  // is ApplyUser then ApplyFact(nullptr); rows summed from facts are the same in any order of
  // facts (up to float rounding of the decayed sums).
  Status ApplyUser(const Event& event, EventFact& fact);
  void ApplyFact(const EventFact& fact, const RowOwner* owner = nullptr);
  // Forgets the per-user state (history, profile, factor vector) of every user `drop`
  // selects, as an instance does for the users of a partition it gave up: from memory now,
  // from the store at the next Persist (deletes in the same batch as the offsets). Rows summed
  // over users keep what those users added. Returns how many users were dropped.
  size_t DropUsers(const std::function<bool(const UserId&)>& drop);
  // Installs one row summed over users, in its stored form (space, key, value as Persist
  // writes it), as read from the model topic: stats, place profiles, transition and
  // co-visit counts, hours and repeats of an activity, and place listings. The row replaces
  // what was held for its key; what is derived from it (most visited, learners' lists,
  // activity totals) follows. Error, nothing changed, for other spaces or bad bytes.
  Status InstallRow(Space space, std::string_view key, std::string_view value);
  // The id whose partition aggregates a stored row summed over users (a place id for places,
  // stats, place profiles, transitions and co-visits out of a place; an activity id for its
  // hours and repeats); nullopt for every other entry (per-user state, learned parameters,
  // counters) and for keys that do not parse.
  static std::optional<std::string> RowOwnerId(Space space, std::string_view key);
  // Counts an input that was rejected, by a short reason code ("invalid_json", ...).
  void CountRejected(std::string_view reason);

  // Off: changes are not remembered for Persist (for replays that never persist, like eval).
  void set_track_changes(bool on) { track_changes_ = on; }
  // Writes every change since the previous Persist into `writer`. It changes only what tracks
  // the changes, which nothing else reads, and looks the tables up without inserting: with
  // no other writer, Persist may run while const readers (answers) do.
  void Persist(StateWriter& writer);
  // How Load reads the co-visit and transition rows (at 10M events ~80% of the entries).
  enum class RowLoading {
    kAtOnce,
    // Each row is read from the reader when first used: by a change (it is then complete),
    // or by an answer (reading rows is const: it may leave out pairs with places the model
    // has not numbered, which only deleted places are and which no answer reads). The reader
    // must outlive the model or its next Load, and it must be where Persist writes (the
    // engine's store): an unread row is what the store holds.
    // Users (history, profile, factors) stay in the store too when it holds their count
    // (written by Persist since it was kept): an answer reads the user it names (places not
    // numbered, only deleted ones, are left out of what it reads), and a change reads them
    // all first (CompleteUsers).
    kOnFirstUse,
  };
  // Replaces the in-memory state by what `reader` holds.
  Status Load(const StateReader& reader, RowLoading rows = RowLoading::kAtOnce);
  // After a Load that left the rows in the store: reads about `budget` more stored pairs into
  // their rows (whole rows, in key order), each then complete; `done` once every stored row
  // is in memory, after which no row is read from the store again. Under the same exclusion
  // as Apply; events should wait for `done` (each first change of a row reads it otherwise).
  Status CompleteRows(size_t budget, bool& done);
  // CompleteRows in two steps, so that reading the store runs beside the model's work: where
  // the next read starts, what one read gave (whole rows by place id, in key order).
  struct RowCursor {
    int kind = 0;
    std::string key;
  };
  struct StoredRows {
    int kind = 0;
    std::vector<std::pair<PlaceId, std::vector<std::pair<PlaceId, int64_t>>>> rows;
    bool last = false;  // the last of every kind: installing it completes the rows
  };
  // Reads about `budget` more stored pairs from `cursor` on and advances it. Touches none of
  // the model's tables: it may run on any thread beside answers and InstallRows, while
  // rows_pending(). Reads start at a RowCursor{} and go on until one gives `last`.
  Status ReadStoredRows(RowCursor& cursor, size_t budget, StoredRows& out) const;
  // Installs what ReadStoredRows gave, in the order it gave them (under Apply's exclusion).
  void InstallRows(const StoredRows& chunk);
  // Whether rows are still in the store only (see CompleteRows).
  bool rows_pending() const { return lazy_rows_ != nullptr; }
  // After a Load that left the users in the store: every user read, as a load at once reads
  // them, by ReadStoredUsers (it reads only the places' index, FindPlace: it may run on any
  // thread beside answers and InstallRows while users_pending(), not beside changes to
  // places) and then installed by InstallUsers (under Apply's exclusion; it numbers deleted
  // places and swaps the read table in; a no-op once users were completed otherwise).
  struct StoredUsers;
  Status ReadStoredUsers(StoredUsers& out) const;
  void InstallUsers(StoredUsers&& users);
  // Both at once. A change to users (ApplyUser, and so a retrain's start; DropUsers) does
  // this first.
  Status CompleteUsers();
  bool users_pending() const { return lazy_users_ != nullptr; }
  // Rows or users still in the store only.
  bool load_pending() const { return rows_pending() || users_pending(); }
  // Whether Load found the users' count in the store (when not, users were read at once and
  // the next Persist writes it, so the next Load may leave them in the store).
  bool user_count_stored() const { return stored_user_count_ >= 0 || users_.empty(); }
  // The wall time of each part of the last Load: its concurrent scans by what they read, then
  // what is derived after them ("derived") and the whole ("total"), in seconds.
  const std::vector<std::pair<std::string, double>>& load_parts() const { return load_parts_; }
  // One stored entry as a line of text for `locus state dump` (floats to 6 digits).
  static std::string DescribeEntry(Space space, std::string_view key, std::string_view value);

  // Read access for scoring and reporting.
  const ModelOptions& options() const { return options_; }
  const std::unordered_map<ActivityId, PlaceStats>& activity_stats() const {
    return activity_stats_;
  }
  // Everything held per user: one hash node, where a table for each part took one each.
  struct UserState {
    History history;
    UserProfile profile;
    FactorModel::PackedVector bpr;  // the user's latent factors, once has_bpr
    bool has_bpr = false;
  };
  // Nodes of the tables (their addresses stay put while the node lives).
  using UserNode = std::pair<const UserId, UserState>;
  // What ReadStoredUsers read: the users, their histories' activities numbered in `activities`
  // order, and the places a history or profile names that are not listed (deleted; numbered
  // by InstallUsers).
  struct StoredUsers {
    std::unordered_map<UserId, UserState> users;
    std::vector<ActivityId> activities;
    std::unordered_map<ActivityId, uint32_t> activity_numbers;
    struct UnlistedHistory {
      UserState* user;
      uint32_t activity;
      PlaceId place;
      UserPlaceStat stat;
    };
    std::vector<UnlistedHistory> unlisted_history;
    // A profile's place not listed: its last place (slot -1) or recent[slot].
    struct UnlistedProfilePlace {
      UserState* user;
      int slot;
      PlaceId place;
    };
    std::vector<UnlistedProfilePlace> unlisted_profile_places;
  };
  using StatNode = ActivityPlaceStatNode;
  // The user's latent factor vector; nullptr before their first factor update.
  const FactorModel::PackedVector* UserFactor(const UserId& user) const;
  // Users with any events but ratings (all of them once !users_pending()). ForEachActivity
  // walks a history by activity.
  const std::unordered_map<UserId, UserState>& users() const { return users_; }
  // Calls visit(activity, places) for each activity of `history`, in activity number order.
  template <class Visit>
  void ForEachActivity(const History& history, Visit&& visit) const {
    for (auto it = history.begin(); it != history.end();) {
      auto end = it;
      while (end != history.end() && end->activity == it->activity) ++end;
      visit(history_activities_[it->activity], UserPlaces(&*it, &*it + (end - it)));
      it = end;
    }
  }
  // The activity numbered `n` in user histories.
  const ActivityId& HistoryActivity(uint32_t n) const { return history_activities_[n]; }
  // The number of place `id`, listed or deleted; nullopt when the model never numbered it.
  std::optional<uint32_t> PlaceNumber(const PlaceId& id) const;
  const ActivityResolver& resolver() const { return resolver_; }
  // The entries of the places listed for `activity` (a scan of them reads no index).
  const std::vector<const PlaceEntry*>* ListedEntries(const ActivityId& activity) const;
  // Their ids, in the same order (a copy; empty when none).
  std::vector<PlaceId> PlacesFor(const ActivityId& activity) const;
  // Candidate generation for large activities: the most visited places (visits + clicks,
  // highest first, at most kTopPlaces) and places near a point (spatial index).
  static constexpr size_t kTopPlaces = 200;
  const std::vector<PlaceId>* TopPlaces(const ActivityId& activity) const;
  void NearPlaces(const ActivityId& activity, const GeoPoint& at, size_t want, double max_km,
                  std::vector<const PlaceEntry*>& out) const;
  // Places of an activity that have had events: the candidates the learners train on (a place
  // without history teaches them nothing). Order carries no meaning; sampling is by hash.
  // Sorted by id; entries of listed places.
  const std::vector<const PlaceEntry*>* ActivePlacesFor(const ActivityId& activity) const;
  const PlaceStats* StatsFor(const ActivityId& activity) const;
  // The user's places for `activity` (empty when none).
  UserPlaces UserHistory(const UserId& user, const ActivityId& activity) const;
  // Rating events of an activity and the sum of their values.
  std::pair<int64_t, double> ActivityRatings(const ActivityId& activity) const;
  // Event count of an activity (the resolver's tie-breaker among equal matches).
  double ActivityPopularity(const ActivityId& activity) const;
  TimeMs newest_ts() const { return newest_ts_; }
  int64_t events_applied() const { return events_applied_; }
  const std::map<std::string, int64_t>& rejected() const { return rejected_; }
  double half_life_ms() const { return options_.popularity_half_life_days * kMsPerDay; }
  const UserProfile* Profile(const UserId& user) const;
  // Users with at least one event.
  int64_t user_count() const {
    return lazy_users_ != nullptr ? stored_user_count_ : static_cast<int64_t>(users_.size());
  }
  const PlaceProfile* PlaceInfo(const PlaceId& place) const;
  // PlaceInfo(IndexedId(index)) without the lookup.
  const PlaceProfile* PlaceInfoAt(uint32_t index) const { return entries_[index].profile; }
  // Users who went from `from` straight to each next place; and the total out of `from`.
  const PlaceCounts* TransitionsFrom(const PlaceId& from) const;
  int64_t TransitionsOut(const PlaceId& from) const;
  // The same by place number (nullptr, 0 when the place has none).
  const PlaceCounts* TransitionsFrom(uint32_t from) const {
    return RowAt(transitions_, ReadableRow(kTransitionRows, from));
  }
  int64_t TransitionsOut(uint32_t from) const {
    ReadableRow(kTransitionRows, from);
    return from < transitions_out_.size() ? transitions_out_[from] : 0;
  }
  const PlaceCounts* CoVisits(uint32_t place) const {
    return RowAt(covisits_, ReadableRow(kCovisitRows, place));
  }
  // Users who visited both `place` and each other place.
  const PlaceCounts* CoVisits(const PlaceId& place) const;
  const std::array<int64_t, 24>* ActivityHours(const ActivityId& activity) const;
  // Visits for an activity, and how many of them returned to a place the user knew.
  std::pair<int64_t, int64_t> ActivityRepeats(const ActivityId& activity) const;
  const Blend& blend() const { return blend_; }
  // The installed full retrain; nullptr before the first one.
  const AlsModel* als() const { return als_.get(); }
  // Event time at which the pending retrain is installed (0: none pending).
  TimeMs retrain_install_at() const { return install_at_; }
  // Who runs retrains (not owned; nullptr: inline). Set before the first Apply.
  void set_retrain_runner(RetrainRunner* runner) { runner_ = runner; }
  // The user's places over all activities by number, with visits + weighted clicks (a place
  // listed under two activities once, with both activities' events), in place-id order.
  std::vector<std::pair<uint32_t, double>> UserCounts(const UserId& user) const;
  // The user-place pairs a full retrain learns from (visits + weighted clicks); of the users
  // held (all of them once !users_pending(): Apply, which starts retrains, completes them).
  Interactions RetrainData() const;
  // Installs a retrained model now (the schedule does this itself; for tools and tests).
  void InstallAls(std::shared_ptr<const AlsModel> als);
  // The installed retrain's vector of a place, listed or deleted; nullptr if none.
  const float* AlsVector(const PlaceId& id) const;
  // The same by place number (no lookup by id for a listed place).
  const float* AlsVectorAt(uint32_t index) const;
  const FactorModel& factors() const { return factors_; }
  // Mean loss of the blend's prequential steps so far (a live quality signal).
  double blend_loss() const {
    return blend_.steps ? blend_.loss_sum / static_cast<double>(blend_.steps) : 0;
  }

 private:
  void Link(const PlaceEntry& entry, const ActivityId& activity, const GeoPoint& at);
  // Link's part that needs no other state (Load derives the rest once every space is read).
  void LinkLoaded(const PlaceEntry& entry, const ActivityId& activity, const GeoPoint& at);
  // The most visited places of an activity, most first, and beside each its stat (its count
  // read through a pointer, where a lookup by id took a hash and a compare per step).
  struct TopList {
    std::vector<PlaceId> ids;
    std::vector<const ActivityPlaceStat*> stats;
    int64_t Count(size_t i) const { return stats[i]->visits + stats[i]->clicks; }
    void clear() {
      ids.clear();
      stats.clear();
    }
  };
  // Keeps TopPlaces(activity) in order after `place`'s count grew.
  void UpdateTop(const ActivityId& activity, const PlaceId& place);
  // The same given the list and the place's stat.
  void UpdateTop(TopList& top, const PlaceId& place, const ActivityPlaceStat& stat);
  // After `leaving` left a full TopPlaces(activity): appends the most visited listed place not
  // in it (the list is then what Load would derive from the counts).
  void RefillTop(const ActivityId& activity, const PlaceId& leaving);
  // One prequential step of the blend on the event before it is applied (sampled events only).
  void TrainBlend(const Event& event, size_t event_hash, const ActivityId& activity,
                  const PlaceEntry& place);
  // Whether the event with this id hash is in the blend's sample (ModelOptions).
  bool BlendLearnsFrom(size_t event_hash) const;
  // One BPR step of the latent factors on the event.
  void TrainFactors(const Event& event, size_t event_hash, const ActivityId& activity,
                    PlaceEntry& place, UserNode& user);
  void UpdateProfile(const Event& event, const PlaceEntry& place, bool seen_before, UserNode& user);
  // ApplyFact's part keyed by the event's place.
  void ApplyPlaceFact(const EventFact& fact, PlaceEntry& place);
  double Weight(EventType type) const {
    return type == EventType::kVisit   ? options_.visit_weight
           : type == EventType::kClick ? options_.click_weight
                                       : 0.0;
  }
  void Unlink(const PlaceEntry& entry, const ActivityId& activity, const GeoPoint& at);
  // Starts and installs full retrains at their points in event time.
  void ScheduleRetrain(TimeMs ts);
  void LinkAls();
  // A new entry for `place`, given the next place number; listed (found by FindPlace) or
  // not (a deleted place's, known from its history).
  PlaceEntry& NumberNew(Place place, bool listed);
  // The model's own (writable) entry of one the index or a list hands out.
  PlaceEntry& Own(const PlaceEntry& entry) { return entries_[entry.index]; }
  // `entry`'s profile, made (empty, in place_profiles_) if it has none; a listed place then
  // joins its activities' lists of places with history.
  PlaceProfile& ProfileOf(PlaceEntry& entry);
  // The entry of `id`, listed or deleted; a deleted one is made (numbered) if none is held.
  PlaceEntry& EntryOrDeleted(const PlaceId& id);
  static uint64_t IndexPair(uint32_t a, uint32_t b) { return uint64_t{a} << 32 | b; }

  ModelOptions options_;
  ActivityResolver resolver_;
  // Every place numbered, listed or deleted, at its number: entries_[n].index == n. A deleted
  // place's entry keeps its table pointers (stats, profile, vectors), given back if the place
  // comes again. Entries never move (stable_vector.h), so the index and lists point at them.
  StableVector<PlaceEntry> entries_;
  // Derived (not stored): the listed entries by id, for FindPlace (entry_index.h).
  EntryIndex<PlaceEntry> place_index_;
  // The numbers of deleted places by id.
  std::unordered_map<PlaceId, uint32_t> deleted_;
  // By place number: the listed entry (nullptr while deleted). A number's id is its entry's
  // (IndexedId): a vector of ids beside them was a copy of every id.
  std::vector<const PlaceEntry*> live_by_index_;
  std::unordered_map<ActivityId, std::vector<const PlaceEntry*>> activity_entries_;
  std::unordered_map<ActivityId, std::vector<const PlaceEntry*>> active_places_;
  // Derived (not stored): spatial index and most visited places per activity.
  std::unordered_map<ActivityId, BasicGridIndex<const PlaceEntry*>> grids_;
  std::unordered_map<ActivityId, TopList> top_places_;
  std::unordered_map<ActivityId, PlaceStats> activity_stats_;
  std::unordered_map<ActivityId, int64_t> activity_events_;
  // Derived from activity_stats_ (not stored): rating count and sum per activity.
  std::unordered_map<ActivityId, std::pair<int64_t, double>> activity_ratings_;
  std::unordered_map<UserId, UserState> users_;
  // Activities as user histories number them (first come, first numbered; not stored).
  std::vector<ActivityId> history_activities_;
  std::unordered_map<ActivityId, uint32_t> history_activity_numbers_;
  uint32_t HistoryActivityNumber(const ActivityId& activity);
  // `activity`'s number in `activities` (first come, first numbered; `numbers` the index).
  static uint32_t NumberActivity(const ActivityId& activity, std::vector<ActivityId>& activities,
                                 std::unordered_map<ActivityId, uint32_t>& numbers);
  // `history`'s places for the activity numbered `activity`.
  static UserPlaces UserHistoryOf(const History& history, uint32_t activity);
  // Every place profile, where it was made (a place's entry points at its own: profile).
  StableVector<PlaceProfile> place_profiles_;
  // Rows by place number (a slot per numbered place: an empty row is 24 bytes, where a hash
  // map entry keyed by id took ~100 for every place with a row). transitions_out_ holds each
  // transition row's sum.
  std::vector<PlaceCounts> transitions_;
  std::vector<int64_t> transitions_out_;
  std::vector<PlaceCounts> covisits_;
  // Row `n` of `rows`, made (empty) if it is beyond the end; complete (read from the store
  // first when rows are read on first use). Reading it may number places, and numbers grow
  // the tables then: a reference to a row is good only until the next numbering.
  PlaceCounts& RowOf(std::vector<PlaceCounts>& rows, uint32_t n) {
    if (n >= rows.size()) rows.resize(size_t{n} + 1);
    if (lazy_rows_ != nullptr) CompleteRow(&rows == &covisits_ ? kCovisitRows : kTransitionRows, n);
    return rows[n];
  }
  // Rows read on first use (Load's RowLoading::kOnFirstUse): per place number and kind,
  // 0 not read, 1 readable (pairs with unnumbered places left out), 2 complete. The states
  // grow with the numbers, only while no answer reads (under the engine's exclusive lock);
  // answers read rows concurrently, so a read by an answer is behind `mu`.
  static constexpr int kTransitionRows = 0, kCovisitRows = 1;
  struct LazyRows {
    const StateReader* source = nullptr;
    std::mutex mu;
    std::array<std::deque<std::atomic<uint8_t>>, 2> state;
    RowCursor cursor;  // CompleteRows'
    // (kind, number) of the rows in state 1 (behind `mu`; cleared by Number()).
    std::vector<std::pair<int, uint32_t>> partial;
  };
  std::unique_ptr<LazyRows> lazy_rows_;
  // Users read on first use (Load's RowLoading::kOnFirstUse): users_ is empty until
  // InstallUsers, and an answer naming a user reads them from `source` into `read` (behind
  // `mu`; each is kept, unchanged, until InstallUsers, which runs while no answer does).
  struct ReadUser {
    UserState state;
    std::vector<ActivityId> activities;  // the history's activity numbers, this user's own
  };
  struct LazyUsers {
    const StateReader* source = nullptr;
    std::mutex mu;
    std::unordered_map<UserId, std::unique_ptr<const ReadUser>> read;  // users found
  };
  std::unique_ptr<LazyUsers> lazy_users_;
  // The users' count as the store holds it (-1: not stored; Persist writes it when it differs).
  int64_t stored_user_count_ = -1;
  // The user's state, held or (while users are pending) read for answers; nullptr when the
  // model has none. `user_activities` gets the table its history's activity numbers index.
  const UserState* FindUser(const UserId& user,
                            const std::vector<ActivityId>** user_activities = nullptr) const;
  // One user as the store holds it, for an answer (places it names that have no number are
  // left out).
  Status ReadOneUser(const UserId& user, ReadUser& out, bool& found) const;
  // Every stored user (ReadStoredUsers from `reader`; the places must be numbered).
  Status ReadUsersFrom(const StateReader& reader, StoredUsers& out) const;
  // Makes what ReadUsersFrom read the users (InstallUsers; Load's at once).
  void PutUsers(StoredUsers&& in);
  // The stored row of place `n` of a kind: (place id, count) in key order.
  Status StoredRow(int kind, uint32_t n, std::vector<std::pair<PlaceId, int64_t>>& row) const;
  // Makes row `n` of a kind complete (reading it, numbering its places, if it is not).
  void CompleteRow(int kind, uint32_t n);
  // Puts a stored row (place id, count) in slot `n` of a kind, complete: numbers its places,
  // sums the transitions out.
  void InstallRow(int kind, uint32_t n, const std::vector<std::pair<PlaceId, int64_t>>& row);
  // Makes row `n` readable by answers; returns n.
  uint32_t ReadableRow(int kind, uint32_t n) const {
    if (lazy_rows_ == nullptr || n >= lazy_rows_->state[kind].size() ||
        lazy_rows_->state[kind][n].load(std::memory_order_acquire) != 0) {
      return n;
    }
    return ReadRowForAnswers(kind, n);
  }
  uint32_t ReadRowForAnswers(int kind, uint32_t n) const;
  // Bounds co-visit row `n` to options_.covisit_row_limit once it is a quarter over it.
  void BoundCovisits(uint32_t n, CountRow& row);
  // Fills a loaded row from (place number, count) pairs; adds them when it has some already.
  static void AddLoadedRow(PlaceCounts& row, std::vector<std::pair<uint32_t, int64_t>> entries);
  // Row `n` of `rows`; nullptr when it is empty or beyond the end.
  static const PlaceCounts* RowAt(const std::vector<PlaceCounts>& rows, uint32_t n) {
    return n < rows.size() && !rows[n].empty() ? &rows[n] : nullptr;
  }
  std::unordered_map<ActivityId, std::array<int64_t, 24>> activity_hours_;
  std::unordered_map<ActivityId, std::pair<int64_t, int64_t>> activity_repeats_;
  Blend blend_;
  FactorModel factors_;
  std::shared_ptr<const AlsModel> als_;
  RetrainRunner* runner_ = nullptr;
  InlineRetrainRunner inline_runner_;
  int64_t retrain_period_ = -1;  // period of the last retrain started (-1: none yet)
  TimeMs install_at_ = 0;        // event time the started retrain is installed at (0: none)
  bool started_here_ = false;    // the pending retrain was started by this process
  TimeMs newest_ts_ = 0;
  int64_t events_applied_ = 0;
  std::map<std::string, int64_t> rejected_;
  EventFact fact_;  // Apply's (its vectors keep their capacity from event to event)
  std::vector<FactorModel::PackedVector*> negative_vectors_;  // TrainFactors' (the same)
  std::vector<size_t> positions_;            // the learners' sampled positions (the same)
  std::vector<uint32_t> covisited_numbers_;  // ApplyPlaceFact's (the same)

  // Changes since the last Persist. Places and activities as they change rarely: hash sets
  // of ids. The rest (10-20 changes an event): lists of place numbers (IndexPair for pairs)
  // and of pointers to the nodes of the tables (which are never erased but users', see
  // DropUsers); a batch dedupes hot keys when it is read; write order is free.
  std::unordered_set<PlaceId> dirty_places_;
  // (activity, place's stat): the activity is the key of its activity_stats_ node.
  DirtyList<std::pair<const ActivityId*, const StatNode*>> dirty_stats_;
  // (user, activity number << 32 | place number).
  DirtyList<std::pair<const UserNode*, uint64_t>> dirty_users_;
  DirtyList<const UserNode*> dirty_profiles_;
  DirtyList<uint32_t> dirty_place_profiles_;  // place numbers
  DirtyList<uint64_t> dirty_transitions_;
  DirtyList<uint64_t> dirty_covisits_;
  using HoursNode = std::pair<const ActivityId, std::array<int64_t, 24>>;
  using RepeatsNode = std::pair<const ActivityId, std::pair<int64_t, int64_t>>;
  DirtyList<const HoursNode*> dirty_hours_;
  DirtyList<const RepeatsNode*> dirty_repeats_;
  bool dirty_blend_ = false;
  bool dirty_als_ = false;
  bool dirty_schedule_ = false;
  DirtyList<const UserNode*> dirty_user_factors_;
  // Stored per-user entries of dropped users, deleted at the next Persist.
  std::vector<std::pair<Space, std::string>> dropped_keys_;
  DirtyList<uint32_t> dirty_place_factors_;  // place numbers
  bool track_changes_ = true;
  bool dirty_meta_ = false;
  std::vector<std::pair<std::string, double>> load_parts_;
};

}  // namespace locus
