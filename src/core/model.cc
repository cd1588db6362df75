#include "src/core/model.h"

#include "src/core/bytes.h"
#include "src/core/features.h"
#include "src/core/geo.h"
#include "src/core/time_format.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <limits>
#include <numeric>

namespace locus {
namespace {

constexpr std::string_view kEventsApplied = "events_applied";
constexpr std::string_view kNewestTs = "newest_ts";
// The number of users (Load leaves them in the store only when it knows it).
constexpr std::string_view kUserCount = "users";
constexpr std::string_view kRejectedPrefix = "rejected/";

std::string EncodePlace(const Place& p) {
  ByteWriter w;
  w.Str(p.name).F64(p.position.lat).F64(p.position.lon).U64(p.activities.size());
  for (const ActivityId& a : p.activities) w.Str(a.str());
  w.U64(p.tags.size());
  for (const std::string& t : p.tags) w.Str(t);
  return w.Take();
}

bool DecodePlace(std::string_view key, std::string_view value, Place& p) {
  ByteReader r(value);
  p.id = PlaceId(std::string(key));
  uint64_t n = 0;
  if (!r.Str(p.name) || !r.F64(p.position.lat) || !r.F64(p.position.lon) || !r.U64(n)) {
    return false;
  }
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string a;
    if (r.Str(a)) p.activities.emplace_back(std::move(a));
  }
  if (!r.U64(n)) return false;
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string t;
    if (r.Str(t)) p.tags.push_back(std::move(t));
  }
  return r.done();
}

void EncodeStat(ByteWriter& w, const ActivityPlaceStat& s) {
  w.I64(s.visits).I64(s.clicks).I64(s.ratings).F64(s.rating_sum).F64(s.popularity.mass);
  w.I64(s.popularity.ref).I64(s.last);
}

bool DecodeStat(std::string_view value, ActivityPlaceStat& s) {
  ByteReader r(value);
  r.I64(s.visits) && r.I64(s.clicks) && r.I64(s.ratings) && r.F64(s.rating_sum) &&
      r.F64(s.popularity.mass) && r.I64(s.popularity.ref) && r.I64(s.last);
  return r.done();
}

void EncodeUserStat(ByteWriter& w, const UserPlaceStat& s) {
  w.I64(s.visits).I64(s.clicks).I64(s.last);
}

bool DecodeUserStat(std::string_view value, UserPlaceStat& s) {
  ByteReader r(value);
  int64_t visits = 0, clicks = 0;
  r.I64(visits) && r.I64(clicks) && r.I64(s.last);
  if (!r.done() || visits < 0 || clicks < 0) return false;
  constexpr int64_t kMax = std::numeric_limits<uint32_t>::max();
  s.visits = static_cast<uint32_t>(std::min(visits, kMax));
  s.clicks = static_cast<uint32_t>(std::min(clicks, kMax));
  return true;
}

std::string I64Value(int64_t v) { return ByteWriter().I64(v).Take(); }

// splitmix64's finaliser: a well-mixed 64-bit function of `z`.
uint64_t Mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The first key after every key that starts with `prefix` (whose last byte is below 0xff).
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  ++end.back();
  return end;
}

// Remembers the first corrupt space a load found; the load reads on and fails at the end.
void NoteCorrupt(std::string& bad, Space space) {
  if (bad.empty()) bad = std::string("corrupt entry in ") + SpaceName(space);
}

// A scan's own failure, else the corrupt entry it met, else Ok.
Status NoteBad(const Status& scan, const std::string& bad) {
  if (!scan.ok()) return scan;
  return bad.empty() ? Status::Ok() : Status::Error(bad);
}

// Sorted-by-id lists (the learners sample them by position, so positions must not depend on
// the order events or loads came in).
bool IdBelow(const PlaceEntry* e, const PlaceId& id) { return e->id < id; }

void InsertSorted(std::vector<const PlaceEntry*>& v, const PlaceEntry& place) {
  auto pos = std::lower_bound(v.begin(), v.end(), place.id, IdBelow);
  if (pos == v.end() || (*pos)->id != place.id) v.insert(pos, &place);
}

void EraseSorted(std::vector<const PlaceEntry*>& v, const PlaceId& place) {
  auto pos = std::lower_bound(v.begin(), v.end(), place, IdBelow);
  if (pos != v.end() && (*pos)->id == place) v.erase(pos);
}

// Up to `k` distinct positions in [0, n), pseudo-random in (event, draw), ascending. O(k log k)
// whatever n is: the learners' negatives and the blend's sample of others cost the same for an
// activity of 50 places or of 50,000.
// Into `out` (the learners keep one across events: no allocation per step).
const std::vector<size_t>& SamplePositions(size_t event_hash, size_t n, size_t k,
                                           std::vector<size_t>& out) {
  out.clear();
  if (n <= k) {
    out.resize(n);
    for (size_t i = 0; i < n; ++i) out[i] = i;
    return out;
  }
  // Draws with replacement until k distinct (n > k, so a few extra draws at most on average;
  // bounded so a pathological hash cannot loop).
  for (uint64_t draw = 0; out.size() < k && draw < 8 * k; ++draw) {
    const size_t i = static_cast<size_t>(Mix64(event_hash + draw * 0x9E3779B97F4A7C15ULL) % n);
    if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool DecodePair(std::string_view key, std::string& a, std::string& b) {
  ByteReader r(key);
  return r.Str(a) && r.Str(b) && r.done();
}

// A user profile as stored: places by id (`ids` turns the model's numbers into ids).
void EncodeProfile(ByteWriter& w, const UserProfile& u, const StableVector<PlaceEntry>& places) {
  w.Str(u.last_place ? places[*u.last_place].id.str() : "").I64(u.last_position ? 1 : 0);
  w.F64(u.last_position ? u.last_position->lat : 0).F64(u.last_position ? u.last_position->lon : 0);
  w.I64(u.last_ts).F64(u.sum_lat).F64(u.sum_lon).I64(u.located).I64(u.visits).I64(u.repeats);
  w.U64(u.recent.size());
  for (uint32_t p : u.recent) w.Str(places[p].id.str());
}

// A stored profile: `u` without its places, which are returned as ids (`last` empty: none)
// for the caller to number.
bool DecodeProfile(std::string_view value, UserProfile& u, std::string& last,
                   std::vector<std::string>& recent) {
  ByteReader r(value);
  int64_t has_pos = 0;
  GeoPoint pos;
  uint64_t n = 0;
  if (!(r.Str(last) && r.I64(has_pos) && r.F64(pos.lat) && r.F64(pos.lon) && r.I64(u.last_ts) &&
        r.F64(u.sum_lat) && r.F64(u.sum_lon) && r.I64(u.located) && r.I64(u.visits) &&
        r.I64(u.repeats) && r.U64(n))) {
    return false;
  }
  if (has_pos != 0) u.last_position = pos;
  recent.clear();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string p;
    if (r.Str(p)) recent.push_back(std::move(p));
  }
  return r.done();
}

void EncodePlaceProfile(ByteWriter& w, const PlaceProfile& p) {
  w.I64(p.users);
  for (int64_t h : p.hours) w.I64(h);
  w.F64(p.recent.mass).I64(p.recent.ref);
}

bool DecodePlaceProfile(std::string_view value, PlaceProfile& p) {
  ByteReader r(value);
  r.I64(p.users);
  for (uint32_t& h : p.hours) {
    int64_t n = 0;
    r.I64(n);
    h = static_cast<uint32_t>(std::clamp<int64_t>(n, 0, std::numeric_limits<uint32_t>::max()));
  }
  r.F64(p.recent.mass) && r.I64(p.recent.ref);
  return r.done();
}

std::string EncodeHours(const std::array<int64_t, 24>& hours) {
  ByteWriter w;
  for (int64_t h : hours) w.I64(h);
  return w.Take();
}

// Weights are stored with their feature names, so a model that gains or loses a feature keeps
// what it learned for the others (a new feature starts from its prior).
template <size_t N, class Name>
void PutWeights(ByteWriter& w, const Weights<N>& weights, Name name) {
  w.U64(N);
  for (size_t i = 0; i < N; ++i) w.Str(name(i)).F64(weights.w[i]).F64(weights.g2[i]);
}

template <size_t N, class Name>
bool GetWeights(ByteReader& r, Weights<N>& weights, Name name) {
  uint64_t n = 0;
  if (!r.U64(n) || n > 4096) return false;
  for (uint64_t k = 0; k < n; ++k) {
    std::string stored;
    double w = 0, g2 = 0;
    if (!(r.Str(stored) && r.F64(w) && r.F64(g2))) return false;
    for (size_t i = 0; i < N; ++i) {
      if (stored == name(i)) {
        weights.w[i] = w;
        weights.g2[i] = g2;
      }
    }
  }
  return r.ok();
}

const char* GateName(size_t i) { return kGateFeatureNames[i]; }
const char* ReturnName(size_t i) { return kFeatureNames[Blend::kReturnFeatures[i]]; }
const char* ExploreName(size_t i) { return kFeatureNames[Blend::kExploreFeatures[i]]; }

std::string EncodeBlend(const Blend& b) {
  ByteWriter w;
  PutWeights(w, b.gate, GateName);
  PutWeights(w, b.ret, ReturnName);
  PutWeights(w, b.explore, ExploreName);
  w.I64(b.steps).F64(b.loss_sum);
  return w.Take();
}

bool DecodeBlend(std::string_view value, Blend& b) {
  ByteReader r(value);
  return GetWeights(r, b.gate, GateName) && GetWeights(r, b.ret, ReturnName) &&
         GetWeights(r, b.explore, ExploreName) && r.I64(b.steps) && r.F64(b.loss_sum) && r.done();
}

constexpr std::string_view kHoursPrefix = "hours/";
constexpr std::string_view kRetrainKey = "retrain";
constexpr std::string_view kAlsKey = "als";
constexpr std::string_view kAlsPlacePrefix = "als/place/";
constexpr std::string_view kRepeatsPrefix = "repeats/";
constexpr std::string_view kUserFactorPrefix = "factor/user/";
constexpr std::string_view kPlaceFactorPrefix = "factor/place/";

std::string G6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

const char* SpaceName(Space space) {
  switch (space) {
    case Space::kMeta:
      return "meta";
    case Space::kPlaces:
      return "places";
    case Space::kActivityPlace:
      return "activity_place";
    case Space::kUserHistory:
      return "user_history";
    case Space::kProfiles:
      return "profiles";
    case Space::kPlaceProfiles:
      return "place_profiles";
    case Space::kTransitions:
      return "transitions";
    case Space::kCovisits:
      return "covisits";
    case Space::kLearned:
      return "learned";
  }
  return "?";
}

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kClick:
      return "click";
    case EventType::kVisit:
      return "visit";
    case EventType::kRating:
      return "rating";
  }
  return "?";
}

std::optional<EventType> EventTypeNamed(std::string_view name) {
  for (EventType type : {EventType::kClick, EventType::kVisit, EventType::kRating}) {
    if (name == EventTypeName(type)) return type;
  }
  return std::nullopt;
}

Model::Model(ModelOptions options) : options_(std::move(options)) {
  resolver_.SetAliases(options_.aliases);
}

void Model::Link(const PlaceEntry& entry, const ActivityId& activity, const GeoPoint& at) {
  const PlaceId& place = entry.id;
  LinkLoaded(entry, activity, at);
  UpdateTop(activity, place);
  if (entry.profile != nullptr) InsertSorted(active_places_[activity], entry);
}

void Model::LinkLoaded(const PlaceEntry& entry, const ActivityId& activity, const GeoPoint& at) {
  resolver_.Add(activity);
  activity_entries_[activity].push_back(&entry);
  grids_[activity].Add(&entry, at);
}

void Model::Unlink(const PlaceEntry& entry, const ActivityId& activity, const GeoPoint& at) {
  const PlaceId& place = entry.id;
  if (auto it = activity_entries_.find(activity); it != activity_entries_.end()) {
    // The last one fills the gap.
    std::vector<const PlaceEntry*>& entries = it->second;
    if (auto pos = std::find(entries.begin(), entries.end(), &entry); pos != entries.end()) {
      *pos = entries.back();
      entries.pop_back();
    }
  }
  if (auto it = grids_.find(activity); it != grids_.end()) it->second.Remove(&entry, at);
  if (auto it = top_places_.find(activity); it != top_places_.end()) {
    TopList& top = it->second;
    if (auto pos = std::find(top.ids.begin(), top.ids.end(), place); pos != top.ids.end()) {
      const bool was_full = top.ids.size() == kTopPlaces;
      top.stats.erase(top.stats.begin() + (pos - top.ids.begin()));
      top.ids.erase(pos);
      // The next most visited place takes the freed slot, as a load would have it.
      if (was_full) RefillTop(activity, place);
    }
  }
  if (auto it = active_places_.find(activity); it != active_places_.end()) {
    EraseSorted(it->second, place);
  }
}

void Model::RefillTop(const ActivityId& activity, const PlaceId& leaving) {
  auto sit = activity_stats_.find(activity);
  if (sit == activity_stats_.end()) return;
  TopList& top = top_places_[activity];
  const std::unordered_set<PlaceId> held(top.ids.begin(), top.ids.end());
  // Every place outside a full list ranks below its last entry, so the best of them goes last.
  const StatNode* best = nullptr;
  int64_t best_count = 0;
  for (const StatNode& node : sit->second) {
    const auto& [id, st] = node;
    const int64_t count = st.visits + st.clicks;
    if (count == 0 || count < best_count || id == leaving || held.contains(id)) continue;
    if (count == best_count && best != nullptr && !(id < best->first)) continue;
    const PlaceEntry* e = FindPlace(id);
    if (e == nullptr || !e->Lists(activity)) continue;
    best = &node;
    best_count = count;
  }
  if (best != nullptr) {
    top.ids.push_back(best->first);
    top.stats.push_back(&best->second);
  }
}

void Model::UpdateTop(const ActivityId& activity, const PlaceId& place) {
  auto sit = activity_stats_.find(activity);
  if (sit == activity_stats_.end()) return;
  auto st = sit->second.find(place);
  if (st == sit->second.end()) return;
  UpdateTop(top_places_[activity], place, st->second);
}

void Model::UpdateTop(TopList& top, const PlaceId& place, const ActivityPlaceStat& stat) {
  const int64_t count = stat.visits + stat.clicks;
  if (count == 0) return;
  // Most visited first; ties by id, so the list depends only on the counts.
  auto better = [&](const PlaceId& a, int64_t ca, size_t b) {
    const int64_t cb = top.Count(b);
    return ca != cb ? ca > cb : a < top.ids[b];
  };
  // A place in the list counts at least as much as the last one: below it, the place is not in
  // the list and does not enter it (most events, at places outside the top, stop here).
  if (top.ids.size() == kTopPlaces && count < top.Count(kTopPlaces - 1)) return;
  // The place's stat is its alone (one per activity and place): found by address.
  auto at = std::find(top.stats.begin(), top.stats.end(), &stat);
  size_t pos = static_cast<size_t>(at - top.stats.begin());
  if (at == top.stats.end()) {
    if (top.ids.size() < kTopPlaces) {
      top.ids.push_back(place);
      top.stats.push_back(&stat);
    } else if (better(place, count, top.ids.size() - 1)) {
      top.ids.back() = place;
      top.stats.back() = &stat;
    } else {
      return;
    }
    pos = top.ids.size() - 1;
  }
  // Counts only grow: the place can only move up.
  while (pos > 0 && better(top.ids[pos], count, pos - 1)) {
    std::swap(top.ids[pos], top.ids[pos - 1]);
    std::swap(top.stats[pos], top.stats[pos - 1]);
    --pos;
  }
}

const std::vector<PlaceId>* Model::TopPlaces(const ActivityId& activity) const {
  auto it = top_places_.find(activity);
  return it == top_places_.end() ? nullptr : &it->second.ids;
}

void Model::NearPlaces(const ActivityId& activity, const GeoPoint& at, size_t want, double max_km,
                       std::vector<const PlaceEntry*>& out) const {
  if (auto it = grids_.find(activity); it != grids_.end()) it->second.Near(at, want, max_km, out);
}

void Model::UpsertPlace(Place place) {
  dirty_places_.insert(place.id);
  if (const PlaceEntry* listed = place_index_.Lookup(place.id)) {
    PlaceEntry& entry = Own(*listed);
    for (const ActivityId& a : entry.activities) Unlink(entry, a, entry.position);
    entry.Relist(std::move(place));  // the table pointers stay
    for (const ActivityId& a : entry.activities) Link(entry, a, entry.position);
    return;
  }
  PlaceEntry* entry = nullptr;
  if (auto old = deleted_.find(place.id); old != deleted_.end()) {
    entry = &entries_[old->second];  // listed again: what it learned stays with it
    deleted_.erase(old);
    entry->Relist(std::move(place));
    live_by_index_[entry->index] = entry;
  } else {
    entry = &NumberNew(std::move(place), /*listed=*/true);
  }
  place_index_.Insert(entry);
  for (const ActivityId& a : entry->activities) Link(*entry, a, entry->position);
}

PlaceEntry& Model::NumberNew(Place place, bool listed) {
  PlaceEntry& entry = entries_.emplace_back(std::move(place));
  entry.index = static_cast<uint32_t>(entries_.size() - 1);
  live_by_index_.push_back(listed ? &entry : nullptr);
  // A place new to the model may be in the installed retrain (one restored from the store
  // holds places whose entries come later: a deleted place known only from a history).
  entry.als = als_ != nullptr ? als_->PlaceVector(entry.id) : nullptr;
  if (lazy_rows_ != nullptr) {
    // Every number has its rows' slots, so that answers, which may not resize, can fill
    // them. A new number's stored rows, if any (a deleted place's), are read when first used.
    const size_t count = entries_.size();
    transitions_.resize(count);
    covisits_.resize(count);
    transitions_out_.resize(count);
    for (auto& states : lazy_rows_->state) states.emplace_back(0);
    // Rows answers read without a place then unnumbered: it may be this one (listed again).
    for (const auto& [kind, n] : lazy_rows_->partial) {
      lazy_rows_->state[kind][n].store(0, std::memory_order_relaxed);
      (kind == kCovisitRows ? covisits_ : transitions_)[n] = CountRow();
    }
    lazy_rows_->partial.clear();
  }
  return entry;
}

PlaceEntry& Model::EntryOrDeleted(const PlaceId& id) {
  if (const PlaceEntry* listed = place_index_.Lookup(id)) return Own(*listed);
  if (auto it = deleted_.find(id); it != deleted_.end()) return entries_[it->second];
  Place unknown;
  unknown.id = id;
  PlaceEntry& entry = NumberNew(std::move(unknown), /*listed=*/false);
  deleted_.emplace(id, entry.index);
  return entry;
}

void Model::DeletePlace(const PlaceId& id) {
  const PlaceEntry* listed = place_index_.Lookup(id);
  if (listed == nullptr) return;
  PlaceEntry& entry = Own(*listed);
  for (const ActivityId& a : entry.activities) Unlink(entry, a, entry.position);
  live_by_index_[entry.index] = nullptr;
  place_index_.Erase(id);
  deleted_.insert_or_assign(id, entry.index);
  dirty_places_.insert(id);
}

const PlaceEntry* Model::FindPlace(const PlaceId& id) const { return place_index_.Lookup(id); }

Status Model::Apply(const Event& e) {
  if (Status st = ApplyUser(e, fact_); !st.ok()) return st;
  ApplyFact(fact_);
  return Status::Ok();
}

Status Model::ApplyUser(const Event& e, EventFact& fact) {
  if (Status s = CompleteUsers(); !s.ok()) return s;
  const PlaceEntry* listed = place_index_.Lookup(e.place);
  if (listed == nullptr) return Status::Error("unknown place '" + e.place.str() + "'");
  PlaceEntry& place = Own(*listed);
  ScheduleRetrain(e.ts);
  // The user's node, made after the blend's step (which reads the state before the event)
  // and found once for the rest. Ratings keep no per-user state.
  UserNode* user = nullptr;
  if (e.type != EventType::kRating && !place.activities.empty()) {
    const ActivityId& primary = e.activity ? *e.activity : place.activities.front();
    // The learners' samples are functions of the event's id (never of storage order).
    const size_t event_hash = std::hash<std::string>{}(e.event_id);
    if (BlendLearnsFrom(event_hash)) TrainBlend(e, event_hash, primary, place);
    user = &*users_.try_emplace(e.user).first;
    TrainFactors(e, event_hash, primary, place, *user);
  }
  fact.place = e.place;
  fact.type = e.type;
  fact.ts = e.ts;
  fact.value = e.value.value_or(0);
  // The activity done there: the event's own, else each of the place's activities.
  fact.named = e.activity.has_value();
  if (fact.named) {
    fact.activities.assign(1, *e.activity);
  } else {
    fact.activities = place.activities;
  }
  fact.seen_before = false;
  fact.covisited.clear();
  fact.from.reset();
  fact.numbered_by = this;
  fact.place_number = place.index;
  fact.covisited_numbers.clear();
  if (e.type != EventType::kRating) {
    if (user == nullptr) user = &*users_.try_emplace(e.user).first;
    History& history = user->second.history;
    for (const UserPlaceEntry& h : history) fact.seen_before |= h.place == place.index;
    for (const ActivityId& a : fact.activities) {
      const uint32_t n = HistoryActivityNumber(a);
      auto it = std::lower_bound(history.begin(), history.end(), UserPlaceEntry{n, place.index, {}},
                                 UserPlaceEntry::Before);
      if (it == history.end() || it->activity != n || it->place != place.index) {
        if (history.size() == history.capacity()) {
          // A quarter more room, not double: most histories are short and stay so, and a new
          // user-place pair is most of what an event adds to the heap (32 bytes, plus the
          // slack of doubling, up to as much again).
          const auto at = it - history.begin();
          history.reserve(history.size() + history.size() / 4 + 1);
          it = history.begin() + at;
        }
        it = history.insert(it, UserPlaceEntry{n, place.index, {}});
      }
      UserPlaceStat& u = it->stat;
      u.Count(e.type);
      u.last = std::max(u.last, e.ts);
      if (track_changes_) dirty_users_.Add({user, uint64_t{n} << 32 | place.index});
    }
    UserProfile& u = user->second.profile;
    if (!fact.seen_before) {
      for (uint32_t h : u.recent) {
        if (h == place.index) continue;
        fact.covisited.push_back(IndexedId(h));
        fact.covisited_numbers.push_back(h);
      }
    }
    if (u.last_place && *u.last_place != place.index) {
      fact.from = IndexedId(*u.last_place);
      fact.from_number = *u.last_place;
    }
    UpdateProfile(e, place, fact.seen_before, *user);
  }
  newest_ts_ = std::max(newest_ts_, e.ts);
  ++events_applied_;
  dirty_meta_ = true;
  return Status::Ok();
}

void Model::ApplyFact(const EventFact& f, const RowOwner* owner) {
  const bool numbered = f.numbered_by == this;
  // The co-visited places' rows are scattered (a miss for each row and one for its words):
  // asked for before the place's own part, they arrive while it runs.
  if (numbered) {
    for (const uint32_t hi : f.covisited_numbers) {
      if (hi < covisits_.size()) __builtin_prefetch(&covisits_[hi]);
    }
  }
  if (owner == nullptr || owner->OwnsPlace(f.place)) {
    // A place deleted since the fact was made keeps its rows, as a deleted place's history.
    if (const PlaceEntry* listed = place_index_.Lookup(f.place)) {
      ApplyPlaceFact(f, Own(*listed));
    }
  }
  if (f.type == EventType::kRating) return;
  const uint32_t pi = numbered ? f.place_number : EntryOrDeleted(f.place).index;
  if (numbered) {
    for (const uint32_t hi : f.covisited_numbers) {
      if (hi < covisits_.size()) covisits_[hi].Prefetch();
    }
  }
  for (size_t k = 0; k < f.covisited.size(); ++k) {
    const PlaceId& h = f.covisited[k];
    if (owner != nullptr && !owner->OwnsPlace(h)) continue;
    const uint32_t hi = numbered ? f.covisited_numbers[k] : EntryOrDeleted(h).index;
    CountRow& row = RowOf(covisits_, hi);
    row.Add(pi, 1);
    if (track_changes_) dirty_covisits_.Add(IndexPair(hi, pi));
    BoundCovisits(hi, row);
  }
  if (f.from && (owner == nullptr || owner->OwnsPlace(*f.from))) {
    const uint32_t li = numbered ? f.from_number : EntryOrDeleted(*f.from).index;
    RowOf(transitions_, li).Add(pi, 1);
    if (li >= transitions_out_.size()) transitions_out_.resize(size_t{li} + 1);
    ++transitions_out_[li];
    if (track_changes_) dirty_transitions_.Add(IndexPair(li, pi));
  }
  const auto hour = static_cast<size_t>(UtcHour(f.ts));
  for (const ActivityId& a : f.activities) {
    if (owner != nullptr && !owner->OwnsActivity(a)) continue;
    HoursNode& hours = *activity_hours_.try_emplace(a).first;
    ++hours.second[hour];
    if (track_changes_) dirty_hours_.Add(&hours);
    if (f.type == EventType::kVisit) {
      RepeatsNode& counts = *activity_repeats_.try_emplace(a).first;
      auto& [visits, repeats] = counts.second;
      ++visits;
      repeats += f.seen_before;
      if (track_changes_) dirty_repeats_.Add(&counts);
    }
  }
}

size_t Model::DropUsers(const std::function<bool(const UserId&)>& drop) {
  // Nothing is dropped from a table not read whole (the engine completes it first).
  if (Status s = CompleteUsers(); !s.ok()) std::abort();
  std::vector<UserId> gone;
  for (const auto& [user, state] : users_) {
    if (drop(user)) gone.push_back(user);
  }
  if (gone.empty()) return 0;
  std::unordered_set<const UserNode*> dropped;
  for (const UserId& u : gone) dropped.insert(&*users_.find(u));
  dirty_users_.EraseIf([&](const auto& k) { return dropped.contains(k.first); });
  dirty_profiles_.EraseIf([&](const UserNode* k) { return dropped.contains(k); });
  dirty_user_factors_.EraseIf([&](const UserNode* k) { return dropped.contains(k); });
  for (const UserId& u : gone) {
    if (auto it = users_.find(u); it != users_.end()) {
      for (const UserPlaceEntry& h : it->second.history) {
        dropped_keys_.emplace_back(Space::kUserHistory,
                                   ByteWriter()
                                       .Str(u.str())
                                       .Str(history_activities_[h.activity].str())
                                       .Str(IndexedId(h.place).str())
                                       .Take());
      }
      if (it->second.has_bpr) {
        dropped_keys_.emplace_back(Space::kLearned, std::string(kUserFactorPrefix) + u.str());
      }
      users_.erase(it);
      dropped_keys_.emplace_back(Space::kProfiles, u.str());
    }
  }
  if (!track_changes_) dropped_keys_.clear();
  return gone.size();
}

Status Model::InstallRow(Space space, std::string_view key, std::string_view value) {
  auto bad = [&] { return Status::Error(std::string("bad ") + SpaceName(space) + " row"); };
  switch (space) {
    case Space::kPlaces: {
      Place p;
      if (!DecodePlace(key, value, p)) return bad();
      UpsertPlace(std::move(p));
      return Status::Ok();
    }
    case Space::kActivityPlace: {
      ByteReader k(key);
      std::string a, p;
      ActivityPlaceStat st;
      if (!k.Str(a) || !k.Str(p) || !k.done() || !DecodeStat(value, st)) return bad();
      const ActivityId activity(std::move(a));
      const PlaceId place(std::move(p));
      auto& [stats_key, stats] = *activity_stats_.try_emplace(activity).first;
      auto [it, added] = stats.try_emplace(place);
      ActivityPlaceStat& held = it->second;
      activity_events_[activity] +=
          st.visits + st.clicks + st.ratings - (held.visits + held.clicks + held.ratings);
      if (st.ratings != held.ratings) {
        auto& [n, sum] = activity_ratings_[activity];
        n += st.ratings - held.ratings;
        sum += st.rating_sum - held.rating_sum;
      }
      held = st;
      if (added) EntryOrDeleted(place).stats.emplace_back(&stats_key, &*it);
      if (const PlaceEntry* e = FindPlace(place); e != nullptr && e->Lists(activity)) {
        UpdateTop(activity, place);
      }
      if (track_changes_) dirty_stats_.Add({&stats_key, &*it});
      return Status::Ok();
    }
    case Space::kPlaceProfiles: {
      PlaceProfile pp;
      if (!DecodePlaceProfile(value, pp)) return bad();
      const PlaceId place{std::string(key)};
      PlaceEntry& entry = EntryOrDeleted(place);
      ProfileOf(entry) = pp;
      if (track_changes_) dirty_place_profiles_.Add(entry.index);
      return Status::Ok();
    }
    case Space::kTransitions:
    case Space::kCovisits: {
      std::string a, b;
      int64_t n = 0;
      ByteReader r(value);
      if (!DecodePair(key, a, b) || !r.I64(n) || !r.done()) return bad();
      const PlaceId from(std::move(a));
      const uint32_t fi = EntryOrDeleted(from).index;
      const uint32_t ti = EntryOrDeleted(PlaceId(std::move(b))).index;
      CountRow& row = RowOf(space == Space::kTransitions ? transitions_ : covisits_, fi);
      const int64_t delta = n - row.Get(ti);
      if (delta != 0) row.Add(ti, delta);
      if (space == Space::kTransitions) {
        if (fi >= transitions_out_.size()) transitions_out_.resize(size_t{fi} + 1);
        transitions_out_[fi] += delta;
        if (track_changes_) dirty_transitions_.Add(IndexPair(fi, ti));
      } else if (track_changes_) {
        dirty_covisits_.Add(IndexPair(fi, ti));
      }
      return Status::Ok();
    }
    case Space::kMeta: {
      ByteReader r(value);
      if (key.starts_with(kHoursPrefix)) {
        std::array<int64_t, 24> hours{};
        for (int64_t& h : hours) r.I64(h);
        if (!r.done()) return bad();
        const ActivityId activity{std::string(key.substr(kHoursPrefix.size()))};
        HoursNode& held = *activity_hours_.try_emplace(activity).first;
        held.second = hours;
        if (track_changes_) dirty_hours_.Add(&held);
        return Status::Ok();
      }
      if (key.starts_with(kRepeatsPrefix)) {
        int64_t visits = 0, repeats = 0;
        if (!r.I64(visits) || !r.I64(repeats) || !r.done()) return bad();
        const ActivityId activity{std::string(key.substr(kRepeatsPrefix.size()))};
        RepeatsNode& held = *activity_repeats_.try_emplace(activity).first;
        held.second = {visits, repeats};
        if (track_changes_) dirty_repeats_.Add(&held);
        return Status::Ok();
      }
      return bad();
    }
    default:
      return Status::Error(std::string(SpaceName(space)) + " holds no rows summed over users");
  }
}

std::optional<std::string> Model::RowOwnerId(Space space, std::string_view key) {
  switch (space) {
    case Space::kPlaces:
    case Space::kPlaceProfiles:
      return std::string(key);
    case Space::kTransitions:
    case Space::kCovisits: {
      std::string a, b;
      if (!DecodePair(key, a, b)) return std::nullopt;
      return a;
    }
    case Space::kActivityPlace: {
      std::string a, p;
      if (!DecodePair(key, a, p)) return std::nullopt;
      return p;
    }
    case Space::kMeta:
      if (key.starts_with(kHoursPrefix)) return std::string(key.substr(kHoursPrefix.size()));
      if (key.starts_with(kRepeatsPrefix)) return std::string(key.substr(kRepeatsPrefix.size()));
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

void Model::ApplyPlaceFact(const EventFact& f, PlaceEntry& place) {
  if (f.named && !place.Lists(f.activities.front())) {
    // People do this activity here although the place does not list it: learn the link.
    place.activities.push_back(f.activities.front());
    Link(place, f.activities.front(), place.position);
    dirty_places_.insert(place.id);
  }
  const double weight = Weight(f.type);
  for (const ActivityId& a : f.activities) {
    // The place's stat through its entry (kept complete), else made in the activity's table.
    const ActivityId* stats_key = nullptr;
    StatNode* node = nullptr;
    if (const auto* held = place.StatEntryFor(a)) {
      stats_key = held->first;
      node = const_cast<StatNode*>(held->second);  // the model owns its tables' nodes
    } else {
      auto& [key, stats] = *activity_stats_.try_emplace(a).first;
      stats_key = &key;
      node = &*stats.try_emplace(f.place).first;
      place.stats.emplace_back(stats_key, node);
    }
    ActivityPlaceStat& s = node->second;
    switch (f.type) {
      case EventType::kVisit:
        ++s.visits;
        break;
      case EventType::kClick:
        ++s.clicks;
        break;
      case EventType::kRating: {
        ++s.ratings;
        s.rating_sum += f.value;
        auto& [n, sum] = activity_ratings_[a];
        ++n;
        sum += f.value;
        break;
      }
    }
    if (weight > 0) s.popularity.Add(weight, f.ts, half_life_ms());
    s.last = std::max(s.last, f.ts);
    if (track_changes_) dirty_stats_.Add({stats_key, node});
    ++activity_events_[a];
    if (f.type != EventType::kRating) UpdateTop(top_places_[a], f.place, s);
  }
  if (f.type == EventType::kRating) return;
  PlaceProfile& p = ProfileOf(place);
  if (!f.seen_before) {
    ++p.users;
    // Numbered first: numbering may resize the rows (when they are read on first use).
    std::vector<uint32_t>& numbers = covisited_numbers_;
    if (f.numbered_by == this) {
      numbers = f.covisited_numbers;
    } else {
      numbers.clear();
      for (const PlaceId& h : f.covisited) numbers.push_back(EntryOrDeleted(h).index);
    }
    CountRow& row = RowOf(covisits_, place.index);
    for (const uint32_t hi : numbers) {
      row.Add(hi, 1);
      if (track_changes_) dirty_covisits_.Add(IndexPair(place.index, hi));
    }
    BoundCovisits(place.index, row);
  }
  if (uint32_t& h = p.hours[static_cast<size_t>(UtcHour(f.ts))]; h < UINT32_MAX) ++h;
  if (weight > 0) p.recent.Add(weight, f.ts, 7 * kMsPerDay);
  if (track_changes_) dirty_place_profiles_.Add(place.index);
}

PlaceProfile& Model::ProfileOf(PlaceEntry& entry) {
  if (entry.profile == nullptr) {
    entry.profile = &place_profiles_.emplace_back();
    // A listed place with a profile is a candidate of the learners' lists (as Link keeps).
    if (live_by_index_[entry.index] == &entry) {
      for (const ActivityId& a : entry.activities) InsertSorted(active_places_[a], entry);
    }
  }
  // The model made it in place_profiles_ (not const); entries hand it out read-only.
  return const_cast<PlaceProfile&>(*entry.profile);
}

void Model::BoundCovisits(uint32_t n, CountRow& row) {
  const size_t limit = options_.covisit_row_limit;
  // A row over the limit by entries counted more alone has nothing to cut: no scan.
  if (limit == 0 || row.size() < limit + limit / 4 || row.ones() == 0) return;
  // The salt changes as the row's established entries gain counts, so the entries counted
  // once that stay are not always the same few; it depends on ids and counts only (a
  // restart renumbers places), so a restarted model cuts as the live one would.
  uint64_t salt = IndexedId(n).hash();
  size_t more = 0;
  row.ForEach([&](uint32_t, int64_t c) {
    if (c > 1) {
      salt += static_cast<uint64_t>(c);
      ++more;
    }
  });
  salt = Mix64(salt ^ more);
  row.KeepOnes(
      limit > more ? limit - more : 0,
      [&](uint32_t key) { return Mix64(IndexedId(key).hash() ^ salt); },
      [&](uint32_t key) {
        if (track_changes_) dirty_covisits_.Add(IndexPair(n, key));
      });
}

void Model::ScheduleRetrain(TimeMs ts) {
  if (options_.retrain_every_days <= 0) return;
  RetrainRunner& runner = runner_ != nullptr ? *runner_ : inline_runner_;
  if (install_at_ != 0 && ts >= install_at_ && started_here_ &&
      (options_.retrain_install_waits || runner.Ready())) {
    InstallAls(runner.Finish());
    install_at_ = 0;
    started_here_ = false;
    dirty_schedule_ = true;
  }
  const double period_ms = options_.retrain_every_days * kMsPerDay;
  const auto period = static_cast<int64_t>(std::floor(static_cast<double>(ts) / period_ms));
  if (retrain_period_ < 0) {
    // The first event: nothing to learn from yet; the first retrain comes with the next period.
    retrain_period_ = period;
    dirty_schedule_ = true;
    return;
  }
  // A retrain pending from before a restart was lost with the process: it is trained again, on
  // the data as it is now, and installed at its point or, if that has passed (a restart during
  // a backlog), as soon as it is done.
  const bool restart_lost = install_at_ != 0 && !started_here_;
  if ((period > retrain_period_ && install_at_ == 0) || restart_lost) {
    const auto begin =
        static_cast<TimeMs>(static_cast<double>(std::max(period, retrain_period_)) * period_ms);
    retrain_period_ = std::max(period, retrain_period_);
    if (install_at_ == 0) {
      install_at_ =
          begin + static_cast<TimeMs>(options_.retrain_install_after_minutes * 60'000.0) + 1;
    }
    // Named by the event time its data ends at, e.g. als-20120405T0000.
    std::string version = "als-";
    for (char c : FormatRfc3339(begin).substr(0, 16)) {
      if (c != '-' && c != ':') version += c;
    }
    runner.Start(RetrainData(), options_.als, std::move(version));
    started_here_ = true;
    dirty_schedule_ = true;
  }
}

std::vector<std::pair<uint32_t, double>> Model::UserCounts(const UserId& user) const {
  std::vector<std::pair<uint32_t, double>> out;
  const UserState* state = FindUser(user);
  if (state == nullptr) return out;
  for (const UserPlaceEntry& h : state->history) {
    const double n = static_cast<double>(h.stat.visits) +
                     options_.click_weight * static_cast<double>(h.stat.clicks);
    if (n > 0) out.emplace_back(h.place, n);
  }
  // A place listed under two activities counts once, with both activities' events (summed
  // smallest first).
  std::sort(out.begin(), out.end());
  size_t w = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (w > 0 && out[w - 1].first == out[i].first) {
      out[w - 1].second += out[i].second;
    } else {
      out[w++] = out[i];
    }
  }
  out.resize(w);
  std::sort(out.begin(), out.end(),
            [&](const auto& a, const auto& b) { return IndexedId(a.first) < IndexedId(b.first); });
  return out;
}

Interactions Model::RetrainData() const {
  Interactions data;
  // The training number of each model place number (UINT32_MAX: not yet in the data).
  std::vector<uint32_t> place_index(entries_.size(), UINT32_MAX);
  data.users.reserve(users_.size());
  // At most one pair per history entry: reserved at once, the pairs are not copied as they
  // grow (a doubling copy held 1.5x their bytes, under the engine's lock).
  size_t entries = 0;
  for (const auto& [user, state] : users_) entries += state.history.size();
  data.pairs.reserve(entries);
  data.places.reserve(std::min(entries, entries_.size()));
  std::vector<std::pair<uint32_t, float>> counts;
  for (const auto& [user, state] : users_) {
    const auto u = static_cast<uint32_t>(data.users.size());
    data.users.push_back(user);
    // A place listed under two activities counts once, with both activities' events.
    counts.clear();
    for (const UserPlaceEntry& h : state.history) {
      counts.emplace_back(
          h.place, static_cast<float>(static_cast<double>(h.stat.visits) +
                                      options_.click_weight * static_cast<double>(h.stat.clicks)));
    }
    std::sort(counts.begin(), counts.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < counts.size();) {
      const uint32_t place = counts[i].first;
      float count = 0;
      for (; i < counts.size() && counts[i].first == place; ++i) count += counts[i].second;
      if (count <= 0) continue;
      uint32_t& number = place_index[place];
      if (number == UINT32_MAX) {
        number = static_cast<uint32_t>(data.places.size());
        data.places.push_back(IndexedId(place));
      }
      data.pairs.push_back({u, number, count});
    }
  }
  return data;
}

void Model::InstallAls(std::shared_ptr<const AlsModel> als) {
  if (als == nullptr) return;
  als_ = std::move(als);
  dirty_als_ = true;
  LinkAls();
}

void Model::LinkAls() {
  for (size_t n = 0; n < entries_.size(); ++n) entries_[n].als = nullptr;
  if (als_ == nullptr) return;
  const std::vector<PlaceId>& ids = als_->place_ids();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (std::optional<uint32_t> n = PlaceNumber(ids[i])) entries_[*n].als = als_->VectorAt(i);
  }
}

const float* Model::AlsVector(const PlaceId& id) const {
  if (als_ == nullptr) return nullptr;
  const std::optional<uint32_t> n = PlaceNumber(id);
  return n ? entries_[*n].als : nullptr;
}

const float* Model::AlsVectorAt(uint32_t index) const {
  if (als_ == nullptr) return nullptr;
  return entries_[index].als;
}

bool Model::BlendLearnsFrom(size_t event_hash) const {
  const int64_t full = options_.blend_full_events;
  if (full <= 0 || events_applied_ < full) return true;
  // A uniform number in [0, 1) from the event's id, below the share.
  const uint64_t h = Mix64(event_hash ^ 0xB1E4DULL);
  const double u = static_cast<double>(h >> 11) * 0x1.0p-53;
  return u * static_cast<double>(events_applied_) < static_cast<double>(full);
}

void Model::TrainBlend(const Event& e, size_t event_hash, const ActivityId& activity,
                       const PlaceEntry& place) {
  // A place nobody has been to yet tells the blend nothing about how to weigh the signals
  // (and would teach it that being unknown is good): learn only among places with history.
  const std::vector<const PlaceEntry*>* ids = ActivePlacesFor(activity);
  if (ids == nullptr || ids->size() < 2 || place.profile == nullptr) return;
  const UserProfile* profile = Profile(e.user);
  const std::optional<GeoPoint> position =
      profile != nullptr ? profile->last_position : std::nullopt;
  const FeatureContext ctx = MakeFeatureContext(*this, activity, e.user, position, e.ts);
  const double position_cos = position ? CosLatitude(*position) : 1;
  // The user's own places and the visited one are always in (the gate and the return expert
  // need all of them); the others are a uniform sample of at most kMaxOthers by position in
  // the id-sorted list, so a step costs the same in any activity and the choice does not
  // depend on the order places were stored in (a restart resumes the exact same weights).
  constexpr size_t kMaxOthers = 64;
  // A step reads the features of the target's side only, the user's own places (kOwnAny) or
  // the others, and of the far side only whether it has any (Blend::Train): only the target's
  // side is gathered, and the far side is one placeholder. A return then skips the 64 sampled
  // others (it stops at the first that is not the user's), a new place the user's own.
  const bool target_own = OwnCount(ctx, place) > 0;
  bool far_side = false;
  // Each candidate on the target's side with its listed entry, looked up once.
  struct Candidate {
    const PlaceId* id;
    const PlaceEntry* entry;
  };
  std::vector<Candidate> chosen;
  chosen.push_back({&e.place, &place});
  size_t own = 1;  // the user's places and the target, listed or not
  for (const UserPlaceEntry& h : ctx.mine) {
    if (h.place == place.index) continue;
    ++own;
    const PlaceEntry* entry = IndexedPlace(h.place);
    if (entry == nullptr) continue;  // not listed: left out
    if ((OwnWeight(*this, h.stat) > 0) == target_own) {
      chosen.push_back({&IndexedId(h.place), entry});
    } else {
      far_side = true;
    }
  }
  const size_t own_end = chosen.size();
  const size_t others = ids->size() > own ? ids->size() - own : 0;
  size_t sampled = 0;
  const std::vector<size_t>& positions =
      SamplePositions(event_hash, ids->size(), kMaxOthers, positions_);
  if (!target_own) {
    // Their entries are scattered: their misses in flight together, not one after another.
    for (size_t i : positions) PrefetchEntry(*(*ids)[i]);
  }
  for (size_t i : positions) {
    const PlaceEntry* entry = (*ids)[i];
    if (entry == &place || ctx.mine.contains(entry->index)) continue;
    if (target_own) {
      far_side = true;
      break;
    }
    chosen.push_back({&entry->id, entry});
    ++sampled;
  }
  // Softmax sums run in id order whatever the maps hold. The sampled others come in id order
  // already (sorted positions in an id-sorted list) and share no id with the user's own
  // places: only the own ones are sorted, then the two runs merged (a full sort compared
  // ~400 ids an event).
  const auto by_id = [](const Candidate& a, const Candidate& b) { return *a.id < *b.id; };
  const auto mine_end = chosen.begin() + static_cast<std::ptrdiff_t>(own_end);
  std::sort(chosen.begin(), mine_end, by_id);
  std::inplace_merge(chosen.begin(), mine_end, chosen.end(), by_id);
  std::vector<Features> features;
  features.reserve(chosen.size() + 1);
  size_t target = chosen.size();
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (i + kFeaturePrefetchAhead < chosen.size()) {
      PrefetchFeatureReads(*chosen[i + kFeaturePrefetchAhead].entry);
    }
    const auto& [id, p] = chosen[i];
    if (*id == e.place) target = features.size();
    std::optional<double> d;
    if (position) d = HaversineKm(*position, position_cos, p->position, p->cos_lat);
    features.push_back(ComputeFeatures(ctx, *p, d));
  }
  if (far_side) features.emplace_back()[kOwnAny] = target_own ? 0 : 1;
  if (target == chosen.size()) return;
  const double other_log_weight =
      sampled > 0 ? std::log(static_cast<double>(others) / static_cast<double>(sampled)) : 0;
  blend_.Train(features, ctx.gate, target, other_log_weight);
  dirty_blend_ = true;
}

void Model::TrainFactors(const Event& e, size_t event_hash, const ActivityId& activity,
                         PlaceEntry& place, UserNode& node) {
  const std::vector<const PlaceEntry*>* ids = ActivePlacesFor(activity);
  if (ids == nullptr || ids->size() < 2) return;
  // The negative of the same activity, drawn by position in the id-sorted list: O(1) in the
  // activity's size and independent of storage order. One, as in BPR's own SGD (one sampled
  // triple per observation): each negative is a place vector changed, so written at the next
  // commit; with four, the learned vectors were 3.05 of the 7.12 GB of tables the store wrote
  // over 2M events at 1M places (2.22 of 5.97 with one), and the answers were no better
  // (bench/README.md, "Session of 2026-12-07, ninth").
  constexpr size_t kNegatives = 1;
  std::array<PlaceEntry*, kNegatives> negatives{};
  size_t drawn = 0;
  for (size_t i :
       SamplePositions(event_hash ^ 0x5BD1E995ULL, ids->size(), kNegatives + 1, positions_)) {
    if ((*ids)[i] == &place || drawn == kNegatives) continue;
    negatives[drawn++] = &Own(*(*ids)[i]);
  }
  UserState& user = node.second;
  if (!user.has_bpr) {
    user.bpr = FactorModel::UserStart(e.user);
    user.has_bpr = true;
  }
  auto vector_of = [&](PlaceEntry& entry) -> FactorModel::PackedVector& {
    FactorModel::PackedVector& v = factors_.PlaceOrStart(entry.index, entry.id);
    entry.bpr = &v;
    if (track_changes_) dirty_place_factors_.Add(entry.index);
    return v;
  };
  FactorModel::PackedVector& p = vector_of(place);
  std::vector<FactorModel::PackedVector*>& vectors = negative_vectors_;
  vectors.clear();
  for (size_t i = 0; i < drawn; ++i) vectors.push_back(&vector_of(*negatives[i]));
  FactorModel::Observe(user.bpr, p, vectors);
  if (track_changes_) dirty_user_factors_.Add(&node);
}

void Model::UpdateProfile(const Event& e, const PlaceEntry& place, bool seen_before,
                          UserNode& user) {
  UserProfile& u = user.second.profile;
  if (e.type == EventType::kVisit) {
    ++u.visits;
    if (seen_before) ++u.repeats;
  }
  if (auto it = std::find(u.recent.begin(), u.recent.end(), place.index); it != u.recent.end()) {
    u.recent.erase(it);
  }
  u.recent.push_back(place.index);
  constexpr size_t kRecentPlaces = 16;
  if (u.recent.size() > kRecentPlaces) u.recent.erase(u.recent.begin());
  const GeoPoint pos = e.position.value_or(place.position);
  u.last_position = pos;
  u.sum_lat += pos.lat;
  u.sum_lon += pos.lon;
  ++u.located;
  u.last_place = place.index;
  u.last_ts = std::max(u.last_ts, e.ts);
  if (track_changes_) dirty_profiles_.Add(&user);
}

void Model::CountRejected(std::string_view reason) {
  ++rejected_[std::string(reason)];
  dirty_meta_ = true;
}

void Model::Persist(StateWriter& w) {
  for (const auto& [space, key] : dropped_keys_) w.Delete(space, key);
  dropped_keys_.clear();
  for (const PlaceId& id : dirty_places_) {
    if (const Place* p = FindPlace(id)) {
      w.Put(Space::kPlaces, id.str(), EncodePlace(*p));
    } else {
      w.Delete(Space::kPlaces, id.str());
    }
  }
  // The lists point at the tables' nodes: Persist reads them and looks nothing up (it runs
  // beside answers, Model::Persist in model.h).
  // Keys and values are encoded into two buffers kept across the entries.
  std::string key, value;
  for (const auto& [a, node] : dirty_stats_.Compact()) {
    ByteWriter(key).Str(a->str()).Str(node->first.str());
    ByteWriter v(value);
    EncodeStat(v, node->second);
    w.Put(Space::kActivityPlace, key, value);
  }
  for (const auto& [node, entry] : dirty_users_.Compact()) {
    const auto a = static_cast<uint32_t>(entry >> 32), p = static_cast<uint32_t>(entry);
    ByteWriter(key)
        .Str(node->first.str())
        .Str(history_activities_[a].str())
        .Str(IndexedId(p).str());
    ByteWriter v(value);
    EncodeUserStat(v, *UserHistoryOf(node->second.history, a).Find(p));
    w.Put(Space::kUserHistory, key, value);
  }
  for (const UserNode* node : dirty_profiles_.Compact()) {
    ByteWriter v(value);
    EncodeProfile(v, node->second.profile, entries_);
    w.Put(Space::kProfiles, node->first.str(), value);
  }
  for (const uint32_t n : dirty_place_profiles_.Compact()) {
    ByteWriter v(value);
    EncodePlaceProfile(v, *entries_[n].profile);
    w.Put(Space::kPlaceProfiles, IndexedId(n).str(), value);
  }
  auto put_pairs = [&](DirtyList<uint64_t>& dirty, const std::vector<CountRow>& rows, Space space) {
    for (uint64_t pair : dirty.Compact()) {
      const auto a = static_cast<uint32_t>(pair >> 32), b = static_cast<uint32_t>(pair);
      ByteWriter(key).Str(IndexedId(a).str()).Str(IndexedId(b).str());
      ByteWriter(value).I64(rows[a].Get(b));
      w.Put(space, key, value);
    }
  };
  put_pairs(dirty_transitions_, transitions_, Space::kTransitions);
  put_pairs(dirty_covisits_, covisits_, Space::kCovisits);
  for (const HoursNode* node : dirty_hours_.Compact()) {
    w.Put(Space::kMeta, std::string(kHoursPrefix) + node->first.str(), EncodeHours(node->second));
  }
  for (const RepeatsNode* node : dirty_repeats_.Compact()) {
    const auto& [visits, repeats] = node->second;
    w.Put(Space::kMeta, std::string(kRepeatsPrefix) + node->first.str(),
          ByteWriter().I64(visits).I64(repeats).bytes());
  }
  dirty_repeats_.clear();
  if (dirty_blend_) w.Put(Space::kLearned, kBlendKey, EncodeBlend(blend_));
  if (dirty_schedule_) {
    w.Put(Space::kLearned, kRetrainKey, ByteWriter().I64(retrain_period_).I64(install_at_).Take());
  }
  if (dirty_als_ && als_ != nullptr) {
    const AlsOptions& o = als_->options();
    // The header ends with Y Y^T (readers from before it was stored compute it).
    const AlsModel::Matrix& gram = als_->gram();
    w.Put(Space::kLearned, kAlsKey,
          ByteWriter()
              .Str(als_->version())
              .I64(o.factors)
              .F64(o.regularization)
              .F64(o.alpha)
              .Str(AlsModel::EncodeVector(gram.data(), static_cast<int>(gram.size())))
              .Take());
    for (size_t i = 0; i < als_->place_count(); ++i) {
      w.Put(Space::kLearned, std::string(kAlsPlacePrefix) + als_->place_ids()[i].str(),
            AlsModel::EncodeVector(als_->VectorAt(i), o.factors));
    }
  }
  dirty_als_ = false;
  dirty_schedule_ = false;
  for (const UserNode* node : dirty_user_factors_.Compact()) {
    ByteWriter(key).Raw(kUserFactorPrefix).Raw(node->first.str());
    FactorModel::Encode(node->second.bpr, value);
    w.Put(Space::kLearned, key, value);
  }
  for (uint32_t n : dirty_place_factors_.Compact()) {
    ByteWriter(key).Raw(kPlaceFactorPrefix).Raw(IndexedId(n).str());
    FactorModel::Encode(*factors_.Place(n), value);
    w.Put(Space::kLearned, key, value);
  }
  dirty_user_factors_.clear();
  dirty_place_factors_.clear();
  // (A store that never had users needs no count.)
  if (lazy_users_ == nullptr &&
      static_cast<int64_t>(users_.size()) != std::max<int64_t>(stored_user_count_, 0)) {
    stored_user_count_ = static_cast<int64_t>(users_.size());
    w.Put(Space::kMeta, kUserCount, I64Value(stored_user_count_));
  }
  if (dirty_meta_) {
    w.Put(Space::kMeta, kEventsApplied, I64Value(events_applied_));
    w.Put(Space::kMeta, kNewestTs, I64Value(newest_ts_));
    for (const auto& [reason, n] : rejected_) {
      w.Put(Space::kMeta, std::string(kRejectedPrefix) + reason, I64Value(n));
    }
  }
  dirty_places_.clear();
  dirty_stats_.clear();
  dirty_users_.clear();
  dirty_profiles_.clear();
  dirty_place_profiles_.clear();
  dirty_transitions_.clear();
  dirty_covisits_.clear();
  dirty_hours_.clear();
  dirty_blend_ = false;
  dirty_meta_ = false;
}

Status Model::Load(const StateReader& reader, RowLoading row_loading) {
  RetrainRunner* runner = runner_;
  *this = Model(options_);
  runner_ = runner;
  // Each space is read into members no other task touches, on threads of its own (the store
  // allows concurrent scans): a restart is bounded by the largest space, not their sum. What
  // needs two spaces (most visited places, the learners' lists) is derived after the join;
  // the pair rows, which need the places' numbers, wait for the places task in theirs.
  std::vector<std::shared_future<Status>> tasks;
  // A stored row of transitions or co-visits: place `from`'s pairs, in key order; `built`
  // once it is in its table.
  struct LoadedRow {
    PlaceId from;
    std::vector<std::pair<PlaceId, int64_t>> to;
    bool built = false;
  };
  std::vector<LoadedRow> loaded_transitions, loaded_covisits;
  // The ids of the place profiles read, in the order the store gave them: profiled[i]'s is
  // place_profiles_[i].
  std::vector<PlaceId> profiled;
  // Each task links the entries of the listed places to what it read once the places are
  // numbered, beside the other scans; what belongs to a place not listed (a deleted one's
  // history) waits for the join, where it is numbered in this order: stats (by activity
  // name), profiles, BPR vectors, ALS vectors (the order the live model's tables give).
  std::vector<std::pair<const ActivityId*, const StatNode*>> unlisted_stats;
  std::vector<size_t> unlisted_profiles;                       // positions in profiled
  std::vector<std::pair<PlaceId, uint32_t>> unlisted_factors;  // with FactorModel::Keep's
  std::vector<size_t> unlisted_als;                            // positions in als_->place_ids()
  // The listed entry of id_at(i) (the model's own, writable) for i in [0, n), in order, as
  // f(i, entry or nullptr). Millions of them at 1M places, each a few cache misses: first one
  // run of lookups whose misses overlap (EntryIndex::LookupEach), then the calls, each with
  // the entry 16 ahead and the activities of the one 8 ahead asked for (what f reads and
  // writes: its stats, profile, vectors and activities; a miss each in f at 1M places).
  const auto listed_each = [this](size_t n, auto id_at, auto f) {
    std::vector<PlaceEntry*> entries(n);
    place_index_.LookupEach(n, id_at, [this, &entries](size_t i, const PlaceEntry* entry) {
      entries[i] = entry != nullptr ? &Own(*entry) : nullptr;
    });
    for (size_t i = 0; i < n; ++i) {
      if (i + 16 < n && entries[i + 16] != nullptr) {
        const char* at = reinterpret_cast<const char*>(entries[i + 16]);
        for (size_t offset = 0; offset < sizeof(PlaceEntry); offset += 64) {
          __builtin_prefetch(at + offset);
        }
      }
      if (i + 8 < n && entries[i + 8] != nullptr) {
        __builtin_prefetch(entries[i + 8]->activities.data());
      }
      f(i, entries[i]);
    }
  };
  // Each task's wall time, for load_parts() (the array's slots are written by their tasks).
  std::array<std::pair<const char*, double>, 6> parts{};
  const auto load_start = std::chrono::steady_clock::now();
  const auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  auto run = [&](const char* part, auto fn) {
    auto& slot = parts.at(tasks.size());
    slot.first = part;
    tasks.push_back(std::async(std::launch::async, [&slot, fn, &seconds_since] {
                      const auto t = std::chrono::steady_clock::now();
                      Status s = fn();
                      slot.second = seconds_since(t);
                      return s;
                    }).share());
  };
  // Tables sized to the store's counts before they are filled: at 1M places growing them
  // rehashed every node several times (a cache miss each), a third of the places' load.
  const auto hint = [&](Space space) { return static_cast<size_t>(reader.EntriesHint(space)); };
  // Set once every place is read and numbered (the index and the numbers are not written
  // again until the join): the other tasks link to the entries from then on.
  std::promise<Status> numbered;
  const std::shared_future<Status> places_read = numbered.get_future().share();
  run("places", [&]() -> Status {
    std::string bad;
    entries_.reserve(hint(Space::kPlaces));
    place_index_.Reserve(hint(Space::kPlaces));
    live_by_index_.reserve(hint(Space::kPlaces));
    Status s = reader.Scan(Space::kPlaces, [&](std::string_view key, std::string_view value) {
      Place p;
      if (!DecodePlace(key, value, p)) return NoteCorrupt(bad, Space::kPlaces);
      // Keys are the ids, each once: every place read is new. Numbered in key order (numbers
      // carry no meaning beyond the process: a restart renumbers), where it lands in entries_
      // (NumberNew without its lookups); indexed after the scan (below). A hash table of
      // entries here took a third of this scan at 1M places (its bucket and node misses).
      PlaceEntry& entry = entries_.emplace_back(std::move(p));
      entry.index = static_cast<uint32_t>(entries_.size() - 1);
      live_by_index_.push_back(&entry);
    });
    s = NoteBad(s, bad);
    // One run of inserts whose cache misses overlap, where an insert per entry read waited
    // for its slot (a third of this scan at 1M places).
    place_index_.InsertEach(live_by_index_.size(), [&](size_t i) { return live_by_index_[i]; });
    numbered.set_value(s);
    if (!s.ok()) return s;
    // The activities' place lists, spatial indexes and the resolver: they read the entries'
    // id, activities and position, which no other task writes; nothing else writes them.
    // As LinkLoaded for each place and activity in turn, but an activity at a time: the places
    // are grouped by activity first (one lookup each, where LinkLoaded made three), so that
    // each activity's grid stays in cache while it is filled (at 1M places, LinkLoaded's grid
    // inserts were a cache miss each). The order within an activity is the same.
    struct SameActivity {
      size_t operator()(const ActivityId* a) const { return a->hash(); }
      bool operator()(const ActivityId* x, const ActivityId* y) const { return *x == *y; }
    };
    std::unordered_map<const ActivityId*, size_t, SameActivity, SameActivity> group_of;
    std::vector<std::pair<const ActivityId*, std::vector<const PlaceEntry*>>> groups;
    for (const PlaceEntry* entry : live_by_index_) {
      for (const ActivityId& a : entry->activities) {
        auto [it, added] = group_of.try_emplace(&a, groups.size());
        if (added) groups.emplace_back(&a, std::vector<const PlaceEntry*>{});
        groups[it->second].second.push_back(entry);
      }
    }
    for (const auto& [activity, entries] : groups) {  // in the order each was first met
      resolver_.Add(*activity);
      std::vector<const PlaceEntry*>& listed_here = activity_entries_[*activity];
      listed_here.insert(listed_here.end(), entries.begin(), entries.end());
      BasicGridIndex<const PlaceEntry*>& grid = grids_[*activity];
      // An activity's places lie all over entries_: each position read was a cache miss
      // (a tenth of this task at 1M places), so the one 8 places ahead is asked for first.
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i + 8 < entries.size()) __builtin_prefetch(&entries[i + 8]->position);
        grid.Add(entries[i], entries[i]->position);
      }
    }
    return s;
  });
  run("activity_place", [&]() -> Status {
    std::string bad;
    // Keys are (activity, place) in key order: one activity's entries come together, so its
    // tables are looked up once per activity, not once per entry.
    std::string a, p, current;
    PlaceStats* stats = nullptr;
    int64_t* events = nullptr;
    std::pair<int64_t, double>* ratings = nullptr;
    Status s =
        reader.Scan(Space::kActivityPlace, [&](std::string_view key, std::string_view value) {
          ByteReader k(key);
          ActivityPlaceStat st;
          if (!k.Str(a) || !k.Str(p) || !DecodeStat(value, st))
            return NoteCorrupt(bad, Space::kActivityPlace);
          if (stats == nullptr || a != current) {
            current = a;
            const ActivityId activity(a);
            stats = &activity_stats_[activity];
            events = &activity_events_[activity];
            ratings = nullptr;
          }
          *events += st.visits + st.clicks + st.ratings;
          if (st.ratings > 0) {
            if (ratings == nullptr) ratings = &activity_ratings_[ActivityId(a)];
            ratings->first += st.ratings;
            ratings->second += st.rating_sum;
          }
          stats->emplace(PlaceId(p), st);
        });
    s = NoteBad(s, bad);
    if (!s.ok() || !places_read.get().ok()) return s;  // the load fails with the error
    // Each listed place's stats in activity-name order (the order then depends only on the
    // state), and each activity's most visited places, as UpdateTop keeps them.
    std::vector<const ActivityId*> activities;
    for (const auto& node : activity_stats_) activities.push_back(&node.first);
    std::sort(activities.begin(), activities.end(),
              [](const ActivityId* x, const ActivityId* y) { return *x < *y; });
    std::vector<std::pair<int64_t, const StatNode*>> ranked;
    std::vector<const StatNode*> nodes;
    for (const ActivityId* activity : activities) {
      ranked.clear();
      nodes.clear();
      for (const StatNode& node : activity_stats_.find(*activity)->second) nodes.push_back(&node);
      listed_each(
          nodes.size(), [&](size_t i) -> const PlaceId& { return nodes[i]->first; },
          [&](size_t i, PlaceEntry* entry) {
            const StatNode& node = *nodes[i];
            if (entry == nullptr) {
              unlisted_stats.emplace_back(activity, &node);
              return;
            }
            entry->stats.emplace_back(activity, &node);
            const ActivityPlaceStat& st = node.second;
            if (st.visits + st.clicks > 0 && entry->Lists(*activity)) {
              ranked.emplace_back(st.visits + st.clicks, &node);
            }
          });
      const size_t n = std::min(ranked.size(), kTopPlaces);
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n),
                        ranked.end(), [](const auto& x, const auto& y) {
                          return x.first != y.first ? x.first > y.first
                                                    : x.second->first < y.second->first;
                        });
      TopList& top = top_places_[*activity];
      top.clear();
      for (size_t i = 0; i < n; ++i) {
        top.ids.push_back(ranked[i].second->first);
        top.stats.push_back(&ranked[i].second->second);
      }
    }
    return s;
  });
  // Whether the users are left in the store, to be read on first use (when it knows their
  // count, which answers need beforehand).
  std::optional<int64_t> stored_users;
  if (std::optional<std::string> v = reader.Get(Space::kMeta, kUserCount)) {
    int64_t n = 0;
    ByteReader r(*v);
    if (r.I64(n) && r.done() && n >= 0) stored_users = n;
  }
  const bool users_stay = row_loading == RowLoading::kOnFirstUse && stored_users.has_value();
  StoredUsers loaded_users;
  run("users", [&]() -> Status {
    if (users_stay) return Status::Ok();
    // Histories and profiles name places by id, numbered as they are read: after the places.
    if (!places_read.get().ok()) return Status::Ok();  // the load fails with its error
    return ReadUsersFrom(reader, loaded_users);
  });
  run("place_profiles", [&]() -> Status {
    std::string bad;
    place_profiles_.reserve(hint(Space::kPlaceProfiles));
    profiled.reserve(hint(Space::kPlaceProfiles));
    Status s =
        reader.Scan(Space::kPlaceProfiles, [&](std::string_view key, std::string_view value) {
          PlaceProfile p;
          if (!DecodePlaceProfile(value, p)) return NoteCorrupt(bad, Space::kPlaceProfiles);
          // Keys are the ids, each once: appended (a hash table of profiles here took a
          // third of this task at 1M places).
          place_profiles_.emplace_back(p);
          profiled.emplace_back(std::string(key));
        });
    s = NoteBad(s, bad);
    if (!s.ok() || !places_read.get().ok()) return s;  // the load fails with the error
    // The learners' candidate lists: places with history, in id order (only to be
    // reproducible). The store's key order is already that order (keys are the ids, both
    // compare bytewise), so the sort is a check that costs one pass.
    std::vector<size_t> order(profiled.size());
    std::iota(order.begin(), order.end(), size_t{0});
    if (!std::is_sorted(profiled.begin(), profiled.end())) {
      std::sort(order.begin(), order.end(),
                [&](size_t x, size_t y) { return profiled[x] < profiled[y]; });
    }
    listed_each(
        order.size(), [&](size_t i) -> const PlaceId& { return profiled[order[i]]; },
        [&](size_t i, PlaceEntry* entry) {
          if (entry == nullptr) {
            // A deleted place's, numbered after the join in id order.
            unlisted_profiles.push_back(order[i]);
            return;
          }
          entry->profile = &place_profiles_[order[i]];
          for (const ActivityId& a : entry->activities) active_places_[a].push_back(entry);
        });
    return s;
  });
  // Whether the rows are left in the store, to be read on first use (when it holds some).
  bool rows_stay = false;
  run("pairs", [&]() -> Status {
    std::string bad;
    Status s = Status::Ok();
    std::string a, b;
    if (row_loading == RowLoading::kOnFirstUse) {
      for (Space space : {Space::kTransitions, Space::kCovisits}) {
        s = reader.ScanFrom(space, "", [&](std::string_view, std::string_view) {
          rows_stay = true;
          return false;
        });
        if (!s.ok()) return s;
        if (rows_stay) break;
      }
      if (rows_stay) {
        // The rows stay in the store: a slot per place number for each, made here beside
        // the other tasks (at 1M places ~100 MB of fresh pages, which took 0.03-0.15 s after
        // the join, where nothing else runs). The numbers the join gives deleted places get
        // theirs there (NumberNew).
        if (!places_read.get().ok()) return s;  // the load fails with its error
        auto lazy = std::make_unique<LazyRows>();
        lazy->source = &reader;
        const size_t count = entries_.size();
        transitions_.assign(count, CountRow());
        covisits_.assign(count, CountRow());
        transitions_out_.assign(count, 0);
        for (auto& states : lazy->state) states.resize(count);  // value-initialized: 0
        lazy_rows_ = std::move(lazy);
        return s;
      }
    }
    for (Space space : {Space::kTransitions, Space::kCovisits}) {
      std::vector<LoadedRow>& rows =
          space == Space::kTransitions ? loaded_transitions : loaded_covisits;
      // Keys are (from, to) in key order, so a row's pairs come together. Rows are keyed by
      // place numbers, given once every place is read (below).
      s = reader.Scan(space, [&](std::string_view key, std::string_view value) {
        int64_t n = 0;
        ByteReader r(value);
        if (!DecodePair(key, a, b) || !r.I64(n)) return NoteCorrupt(bad, space);
        if (rows.empty() || rows.back().from.str() != a) rows.push_back({PlaceId(a), {}});
        rows.back().to.emplace_back(PlaceId(b), n);
      });
      if (!s.ok()) return s;
    }
    // Once the places are read (and numbered), the rows whose places are all listed are built
    // here, beside the other scans; the others wait for the numbers of the deleted places
    // (given after the join, in the order the live model would give them). The places task
    // has finished writing the index and the numbers this reads; nothing writes them until
    // the join.
    if (!places_read.get().ok()) return NoteBad(s, bad);  // the load fails with its error
    for (auto [loaded, rows] :
         {std::pair(&loaded_transitions, &transitions_), std::pair(&loaded_covisits, &covisits_)}) {
      rows->resize(entries_.size());
      std::vector<std::pair<uint32_t, int64_t>> entries;
      for (LoadedRow& row : *loaded) {
        const PlaceEntry* from = FindPlace(row.from);
        if (from == nullptr) continue;
        entries.clear();
        for (const auto& [to, n] : row.to) {
          const PlaceEntry* e = FindPlace(to);
          if (e == nullptr) break;
          entries.emplace_back(e->index, n);
        }
        if (entries.size() < row.to.size()) continue;
        AddLoadedRow((*rows)[from->index], std::move(entries));
        row.built = true;
        row.to = {};
      }
    }
    return NoteBad(s, bad);
  });
  run("learned", [&]() -> Status {
    std::string bad;
    Status s = Status::Ok();
    // The retrained model: its header (which sorts before its place vectors), the places'
    // ids and their vectors one after the other.
    std::optional<std::pair<std::string, AlsOptions>> als_header;
    AlsModel::Vector als_gram, als_vector;  // als_vector: each place's, decoded in turn
    std::vector<PlaceId> als_ids;
    // Column i is als_ids[i]'s vector; sized to the store's estimate and adopted by the model
    // (at 1M places ~300 MB: a copy was 0.1-0.2 s of page faults and memcpy).
    AlsModel::Matrix als_values;
    // Factor vectors belong to users and places with events (profiles). Each is kept in
    // factors_ as it is read (FactorModel::Keep) and given its place's number once known.
    std::vector<std::pair<PlaceId, uint32_t>> place_factors;
    place_factors.reserve(hint(Space::kPlaceProfiles));
    // The users' vectors (a range of their own) are read with the users.
    const std::string after_users = PrefixEnd(kUserFactorPrefix);
    bool skipped = false;
    const auto learned = [&](std::string_view key, std::string_view value) {
      if (!skipped && key >= kUserFactorPrefix) {
        skipped = true;
        return false;
      }
      FactorModel::Vector v;
      ByteReader r(value);
      if (key == kBlendKey) {
        if (!DecodeBlend(value, blend_)) NoteCorrupt(bad, Space::kLearned);
      } else if (key == kRetrainKey) {
        if (!(r.I64(retrain_period_) && r.I64(install_at_) && r.done()))
          NoteCorrupt(bad, Space::kLearned);
      } else if (key == kAlsKey) {
        std::string version, gram;
        AlsOptions o = options_.als;
        int64_t factors = 0;
        if (r.Str(version) && r.I64(factors) && r.F64(o.regularization) && r.F64(o.alpha) &&
            factors > 0 && factors <= 1024 && (r.done() || (r.Str(gram) && r.done())) &&
            (gram.empty() ||
             (AlsModel::DecodeVector(gram, als_gram) && als_gram.size() == factors * factors))) {
          o.factors = static_cast<int>(factors);
          als_header.emplace(std::move(version), o);
          als_ids.reserve(hint(Space::kPlaceProfiles));
          als_values.resize(factors, static_cast<Eigen::Index>(hint(Space::kPlaceProfiles)));
        } else {
          NoteCorrupt(bad, Space::kLearned);
        }
      } else if (key.starts_with(kAlsPlacePrefix)) {
        if (!AlsModel::DecodeVector(value, als_vector)) {
          NoteCorrupt(bad, Space::kLearned);
          return true;
        }
        if (!als_header) return true;  // vectors of no model: left out, as before
        const auto column = static_cast<Eigen::Index>(als_ids.size());
        if (column == als_values.cols()) {  // more than the estimate
          als_values.conservativeResize(Eigen::NoChange, 2 * column + 1024);
        }
        // A vector of another dimension than the model's counts as zeros.
        if (als_vector.size() == als_values.rows()) {
          als_values.col(column) = als_vector;
        } else {
          als_values.col(column).setZero();
        }
        als_ids.emplace_back(std::string(key.substr(kAlsPlacePrefix.size())));
      } else if (key.starts_with(kPlaceFactorPrefix) && FactorModel::Decode(value, v)) {
        place_factors.emplace_back(PlaceId(std::string(key.substr(kPlaceFactorPrefix.size()))),
                                   factors_.Keep(v));
      } else {
        NoteCorrupt(bad, Space::kLearned);
      }
      return true;
    };
    s = reader.ScanFrom(Space::kLearned, "", learned);
    if (s.ok() && skipped) s = reader.ScanFrom(Space::kLearned, after_users, learned);
    if (!s.ok()) return s;
    if (als_header) {
      als_ = AlsModel::FromStored(als_header->first, als_header->second, std::move(als_ids),
                                  std::move(als_values),
                                  als_gram.size() == 0 ? nullptr : als_gram.data());
    }
    started_here_ = false;  // a retrain in flight when the store was written is not running now
    s = reader.Scan(Space::kMeta, [&](std::string_view key, std::string_view value) {
      int64_t v = 0;
      ByteReader r(value);
      if (key.starts_with(kRepeatsPrefix)) {
        auto& [visits, repeats] =
            activity_repeats_[ActivityId(std::string(key.substr(kRepeatsPrefix.size())))];
        r.I64(visits) && r.I64(repeats);
        return;
      }
      if (key.starts_with(kHoursPrefix)) {
        auto& hours = activity_hours_[ActivityId(std::string(key.substr(kHoursPrefix.size())))];
        for (int64_t& h : hours) r.I64(h);
        return;
      }
      if (key == kEventsApplied && r.I64(v)) events_applied_ = v;
      if (key == kNewestTs && r.I64(v)) newest_ts_ = v;
      if (key.starts_with(kRejectedPrefix) && r.I64(v)) {
        rejected_[std::string(key.substr(kRejectedPrefix.size()))] = v;
      }
    });
    s = NoteBad(s, bad);
    if (!s.ok() || !places_read.get().ok()) return s;  // the load fails with the error
    // factors_ and the entries' vector pointers are this task's alone.
    listed_each(
        place_factors.size(), [&](size_t i) -> const PlaceId& { return place_factors[i].first; },
        [&](size_t i, PlaceEntry* entry) {
          auto& [id, kept] = place_factors[i];
          if (entry != nullptr) {
            entry->bpr = &factors_.Assign(entry->index, kept);
          } else {
            unlisted_factors.emplace_back(std::move(id), kept);
          }
        });
    if (als_ != nullptr) {
      const std::vector<PlaceId>& ids = als_->place_ids();
      listed_each(
          ids.size(), [&](size_t i) -> const PlaceId& { return ids[i]; },
          [&](size_t i, PlaceEntry* entry) {
            if (entry != nullptr) {
              entry->als = als_->VectorAt(i);
            } else {
              unlisted_als.push_back(i);
            }
          });
    }
    return s;
  });
  Status first = Status::Ok();
  for (auto& t : tasks) {
    Status s = t.get();
    if (first.ok() && !s.ok()) first = std::move(s);
  }
  if (!first.ok()) return first;
  const auto joined = std::chrono::steady_clock::now();
  // Every table entry of a place that is not listed belongs to a deleted one (so that a
  // place given again finds its history, as in the live model): numbered here, one at a time.
  for (const auto& [activity, node] : unlisted_stats) {
    EntryOrDeleted(node->first).stats.emplace_back(activity, node);
  }
  for (size_t i : unlisted_profiles) EntryOrDeleted(profiled[i]).profile = &place_profiles_[i];
  for (const auto& [id, kept] : unlisted_factors) {
    PlaceEntry& entry = EntryOrDeleted(id);
    entry.bpr = &factors_.Assign(entry.index, kept);
  }
  // An ALS vector makes no entry of its own (as LinkAls).
  for (size_t i : unlisted_als) {
    if (auto it = deleted_.find(als_->place_ids()[i]); it != deleted_.end()) {
      entries_[it->second].als = als_->VectorAt(i);
    }
  }
  for (auto [loaded, rows] :
       {std::pair(&loaded_transitions, &transitions_), std::pair(&loaded_covisits, &covisits_)}) {
    for (LoadedRow& row : *loaded) {
      if (row.built) continue;
      EntryOrDeleted(row.from);  // numbered, as the live model numbers both places of a pair
      std::vector<std::pair<uint32_t, int64_t>> entries;
      entries.reserve(row.to.size());
      for (const auto& [to, n] : row.to) entries.emplace_back(EntryOrDeleted(to).index, n);
      AddLoadedRow(RowOf(*rows, EntryOrDeleted(row.from).index), std::move(entries));
    }
    loaded->clear();
  }
  // Every place's transitions out: its row's sum (rows left in the store are summed as they
  // are read).
  if (lazy_rows_ == nullptr) {
    transitions_out_.assign(transitions_.size(), 0);
    for (size_t i = 0; i < transitions_.size(); ++i) {
      transitions_[i].ForEach([&](uint32_t, int64_t n) { transitions_out_[i] += n; });
    }
  }
  if (!users_stay) PutUsers(std::move(loaded_users));
  if (stored_users) stored_user_count_ = *stored_users;
  if (users_stay) {
    lazy_users_ = std::make_unique<LazyUsers>();
    lazy_users_->source = &reader;
  }
  load_parts_.assign(parts.begin(), parts.end());
  load_parts_.emplace_back("derived", seconds_since(joined));
  load_parts_.emplace_back("total", seconds_since(load_start));
  return Status::Ok();
}

std::string Model::DescribeEntry(Space space, std::string_view key, std::string_view value) {
  std::string out = SpaceName(space);
  out += ' ';
  switch (space) {
    case Space::kMeta: {
      ByteReader r(value);
      out += std::string(key);
      for (int64_t v = 0; r.I64(v);) out += ' ' + std::to_string(v);
      break;
    }
    case Space::kProfiles: {
      UserProfile u;
      std::string last;
      std::vector<std::string> recent;
      if (!DecodeProfile(value, u, last, recent)) return out + std::string(key) + " <corrupt>";
      out += std::string(key) + " last_place=" + (last.empty() ? "-" : last) +
             " last_ts=" + std::to_string(u.last_ts) + " visits=" + std::to_string(u.visits) +
             " repeats=" + std::to_string(u.repeats) + " located=" + std::to_string(u.located) +
             " centre=" +
             (u.located ? G6(u.sum_lat / static_cast<double>(u.located)) + "," +
                              G6(u.sum_lon / static_cast<double>(u.located))
                        : "-") +
             " recent=";
      for (size_t i = 0; i < recent.size(); ++i) out += (i ? "|" : "") + recent[i];
      break;
    }
    case Space::kPlaceProfiles: {
      PlaceProfile p;
      if (!DecodePlaceProfile(value, p)) return out + std::string(key) + " <corrupt>";
      out += std::string(key) + " users=" + std::to_string(p.users) + " hours=";
      for (size_t i = 0; i < p.hours.size(); ++i)
        out += (i ? "," : "") + std::to_string(p.hours[i]);
      out += " recent=" + G6(p.recent.mass) + "@" + std::to_string(p.recent.ref);
      break;
    }
    case Space::kTransitions:
    case Space::kCovisits: {
      std::string a, b;
      ByteReader r(value);
      int64_t n = 0;
      if (!DecodePair(key, a, b) || !r.I64(n)) return out + "<corrupt>";
      out += a + " -> " + b + " " + std::to_string(n);
      break;
    }
    case Space::kLearned: {
      FactorModel::Vector v;
      ByteReader r(value);
      if (key == kRetrainKey) {
        int64_t period = 0, install_at = 0;
        if (!r.I64(period) || !r.I64(install_at)) return out + std::string(key) + " <corrupt>";
        out += std::string(key) + " period=" + std::to_string(period) +
               " install_at=" + std::to_string(install_at);
        break;
      }
      if (key == kAlsKey) {
        std::string version;
        int64_t factors = 0;
        if (!r.Str(version) || !r.I64(factors)) return out + std::string(key) + " <corrupt>";
        out += std::string(key) + " version=" + version + " factors=" + std::to_string(factors);
        break;
      }
      if (key.starts_with(kAlsPlacePrefix)) {
        AlsModel::Vector y;
        if (!AlsModel::DecodeVector(value, y)) return out + std::string(key) + " <corrupt>";
        out += std::string(key) + " norm=" + G6(y.norm());
        break;
      }
      if (key != kBlendKey) {
        if (!FactorModel::Decode(value, v)) return out + std::string(key) + " <corrupt>";
        out += std::string(key) + " norm=" + G6(v.norm()) + " head=";
        for (int i = 0; i < 4; ++i) out += (i ? "," : "") + G6(v[i]);
        break;
      }
      Blend b;
      if (!DecodeBlend(value, b)) return out + std::string(key) + " <corrupt>";
      out += "blend steps=" + std::to_string(b.steps) +
             " mean_loss=" + G6(b.steps ? b.loss_sum / static_cast<double>(b.steps) : 0);
      for (size_t i = 0; i < kNumGateFeatures; ++i) {
        out += std::string(" gate.") + kGateFeatureNames[i] + "=" + G6(b.gate.w[i]);
      }
      for (size_t i = 0; i < Blend::kReturnSize; ++i) {
        out += std::string(" return.") + kFeatureNames[Blend::kReturnFeatures[i]] + "=" +
               G6(b.ret.w[i]);
      }
      for (size_t i = 0; i < Blend::kExploreSize; ++i) {
        out += std::string(" explore.") + kFeatureNames[Blend::kExploreFeatures[i]] + "=" +
               G6(b.explore.w[i]);
      }
      break;
    }
    case Space::kPlaces: {
      Place p;
      if (!DecodePlace(key, value, p)) return out + std::string(key) + " <corrupt>";
      out += p.id.str() + " name=" + p.name + " lat=" + G6(p.position.lat) +
             " lon=" + G6(p.position.lon) + " activities=";
      for (size_t i = 0; i < p.activities.size(); ++i) {
        out += (i ? "|" : "") + p.activities[i].str();
      }
      out += " tags=";
      for (size_t i = 0; i < p.tags.size(); ++i) out += (i ? "|" : "") + p.tags[i];
      break;
    }
    case Space::kActivityPlace: {
      ByteReader k(key);
      std::string a, p;
      ActivityPlaceStat s;
      if (!k.Str(a) || !k.Str(p) || !DecodeStat(value, s)) return out + "<corrupt>";
      out += a + " | " + p + " visits=" + std::to_string(s.visits) +
             " clicks=" + std::to_string(s.clicks) + " ratings=" + std::to_string(s.ratings) +
             " rating_sum=" + G6(s.rating_sum) + " popularity=" + G6(s.popularity.mass) + "@" +
             std::to_string(s.popularity.ref) + " last=" + std::to_string(s.last);
      break;
    }
    case Space::kUserHistory: {
      ByteReader k(key);
      std::string u, a, p;
      UserPlaceStat s;
      if (!k.Str(u) || !k.Str(a) || !k.Str(p) || !DecodeUserStat(value, s)) {
        return out + "<corrupt>";
      }
      out += u + " | " + a + " | " + p + " visits=" + std::to_string(s.visits) +
             " clicks=" + std::to_string(s.clicks) + " last=" + std::to_string(s.last);
      break;
    }
  }
  return out;
}

std::vector<PlaceId> Model::PlacesFor(const ActivityId& activity) const {
  std::vector<PlaceId> ids;
  if (const std::vector<const PlaceEntry*>* entries = ListedEntries(activity)) {
    ids.reserve(entries->size());
    for (const PlaceEntry* entry : *entries) ids.push_back(entry->id);
  }
  return ids;
}

const std::vector<const PlaceEntry*>* Model::ListedEntries(const ActivityId& activity) const {
  auto it = activity_entries_.find(activity);
  return it == activity_entries_.end() ? nullptr : &it->second;
}

const std::vector<const PlaceEntry*>* Model::ActivePlacesFor(const ActivityId& activity) const {
  auto it = active_places_.find(activity);
  return it == active_places_.end() ? nullptr : &it->second;
}

const Model::PlaceStats* Model::StatsFor(const ActivityId& activity) const {
  auto it = activity_stats_.find(activity);
  return it == activity_stats_.end() ? nullptr : &it->second;
}

UserPlaces Model::UserHistory(const UserId& user, const ActivityId& activity) const {
  const std::vector<ActivityId>* activities = nullptr;
  const UserState* u = FindUser(user, &activities);
  if (u == nullptr) return {};
  if (activities == &history_activities_) {
    auto a = history_activity_numbers_.find(activity);
    return a == history_activity_numbers_.end() ? UserPlaces()
                                                : UserHistoryOf(u->history, a->second);
  }
  const auto a = std::find(activities->begin(), activities->end(), activity);
  return a == activities->end()
             ? UserPlaces()
             : UserHistoryOf(u->history, static_cast<uint32_t>(a - activities->begin()));
}

UserPlaces Model::UserHistoryOf(const History& history, uint32_t activity) {
  const auto by_activity = [](const UserPlaceEntry& a, const UserPlaceEntry& b) {
    return a.activity < b.activity;
  };
  const auto [first, last] = std::equal_range(history.begin(), history.end(),
                                              UserPlaceEntry{activity, 0, {}}, by_activity);
  if (first == last) return {};
  return UserPlaces(&*first, &*first + (last - first));
}

uint32_t Model::HistoryActivityNumber(const ActivityId& activity) {
  return NumberActivity(activity, history_activities_, history_activity_numbers_);
}

uint32_t Model::NumberActivity(const ActivityId& activity, std::vector<ActivityId>& activities,
                               std::unordered_map<ActivityId, uint32_t>& numbers) {
  auto [it, added] = numbers.try_emplace(activity, static_cast<uint32_t>(activities.size()));
  if (added) activities.push_back(activity);
  return it->second;
}

std::optional<uint32_t> Model::PlaceNumber(const PlaceId& id) const {
  if (const PlaceEntry* p = FindPlace(id)) return p->index;
  if (auto it = deleted_.find(id); it != deleted_.end()) return it->second;
  return std::nullopt;
}

const FactorModel::PackedVector* Model::UserFactor(const UserId& user) const {
  const UserState* u = FindUser(user);
  return u == nullptr || !u->has_bpr ? nullptr : &u->bpr;
}

const UserProfile* Model::Profile(const UserId& user) const {
  const UserState* u = FindUser(user);
  return u == nullptr ? nullptr : &u->profile;
}

const Model::UserState* Model::FindUser(const UserId& user,
                                        const std::vector<ActivityId>** user_activities) const {
  if (auto it = users_.find(user); it != users_.end()) {
    if (user_activities != nullptr) *user_activities = &history_activities_;
    return &it->second;
  }
  if (lazy_users_ == nullptr) return nullptr;
  const auto held = [&](const std::unique_ptr<const ReadUser>& read) {
    if (user_activities != nullptr) *user_activities = &read->activities;
    return &read->state;
  };
  {
    std::lock_guard<std::mutex> lock(lazy_users_->mu);
    if (auto it = lazy_users_->read.find(user); it != lazy_users_->read.end()) {
      return held(it->second);
    }
  }
  // Read outside the lock (answers naming other users go on); the first read kept wins.
  auto read = std::make_unique<ReadUser>();
  bool found = false;
  if (!ReadOneUser(user, *read, found).ok()) return nullptr;  // not kept: read again next time
  if (!found) return nullptr;  // not kept: ids nobody has would grow the table
  std::lock_guard<std::mutex> lock(lazy_users_->mu);
  auto [it, added] = lazy_users_->read.try_emplace(user);
  if (added) it->second = std::move(read);
  return held(it->second);
}

Status Model::ReadOneUser(const UserId& user, ReadUser& out, bool& found) const {
  const StateReader& reader = *lazy_users_->source;
  found = false;
  std::string bad;
  // A history's keys are (user, activity, place): the user's come together, from this prefix.
  const std::string prefix = ByteWriter().Str(user.str()).Take();
  std::string u, a, p;
  Status s = reader.ScanFrom(
      Space::kUserHistory, prefix, [&](std::string_view key, std::string_view value) {
        if (!key.starts_with(prefix)) return false;
        ByteReader k(key);
        UserPlaceStat st;
        if (!k.Str(u) || !k.Str(a) || !k.Str(p) || !DecodeUserStat(value, st)) {
          NoteCorrupt(bad, Space::kUserHistory);
          return true;
        }
        if (u != user.str()) return false;
        found = true;
        const ActivityId activity(a);
        auto n = std::find(out.activities.begin(), out.activities.end(), activity);
        if (n == out.activities.end()) n = out.activities.insert(n, activity);
        if (std::optional<uint32_t> place = PlaceNumber(PlaceId(p))) {
          out.state.history.push_back(
              {static_cast<uint32_t>(n - out.activities.begin()), *place, st});
        }
        return true;
      });
  if (!s.ok()) return s;
  std::sort(out.state.history.begin(), out.state.history.end(), UserPlaceEntry::Before);
  // The profile and the vector by seeks, not gets: a get cannot tell a failed read from a
  // missing key, and a failed read must not be kept as a user without them.
  std::optional<std::string> value;
  const auto get = [&](Space space, const std::string& key) {
    value.reset();
    return reader.ScanFrom(space, key, [&](std::string_view k, std::string_view v) {
      if (k == key) value.emplace(v);
      return false;
    });
  };
  if (s = get(Space::kProfiles, user.str()); !s.ok()) return s;
  if (value) {
    found = true;
    std::string last;
    std::vector<std::string> recent;
    UserProfile& profile = out.state.profile;
    if (!DecodeProfile(*value, profile, last, recent)) {
      NoteCorrupt(bad, Space::kProfiles);
    } else {
      if (!last.empty()) profile.last_place = PlaceNumber(PlaceId(std::move(last)));
      for (std::string& id : recent) {
        if (std::optional<uint32_t> place = PlaceNumber(PlaceId(std::move(id)))) {
          profile.recent.push_back(*place);
        }
      }
    }
  }
  if (s = get(Space::kLearned, std::string(kUserFactorPrefix) + user.str()); !s.ok()) return s;
  if (value) {
    found = true;
    FactorModel::Vector v;
    if (FactorModel::Decode(*value, v)) {
      out.state.bpr = v;
      out.state.has_bpr = true;
    } else {
      NoteCorrupt(bad, Space::kLearned);
    }
  }
  return NoteBad(s, bad);
}

Status Model::ReadStoredUsers(StoredUsers& out) const {
  return lazy_users_ == nullptr ? Status::Ok() : ReadUsersFrom(*lazy_users_->source, out);
}

Status Model::ReadUsersFrom(const StateReader& reader, StoredUsers& out) const {
  std::string bad;
  auto& users = out.users;
  users.reserve(static_cast<size_t>(reader.EntriesHint(Space::kProfiles)));
  const auto number_activity = [&](const std::string& name) {
    return NumberActivity(ActivityId(name), out.activities, out.activity_numbers);
  };
  // Keys are (user, activity, place) in key order: a user's entries come together, and
  // within them an activity's, so each table is looked up once per run. Places are numbered
  // as they come (FindPlace, which only reads); places not listed wait for InstallUsers.
  std::string u, a, p, current_user, current_activity;
  UserState* user = nullptr;
  uint32_t activity = 0;
  Status s = reader.Scan(Space::kUserHistory, [&](std::string_view key, std::string_view value) {
    ByteReader k(key);
    UserPlaceStat st;
    if (!k.Str(u) || !k.Str(a) || !k.Str(p) || !DecodeUserStat(value, st)) {
      return NoteCorrupt(bad, Space::kUserHistory);
    }
    if (user == nullptr || u != current_user) {
      current_user = u;
      user = &users[UserId(u)];
      current_activity = a;
      activity = number_activity(a);
    } else if (a != current_activity) {
      current_activity = a;
      activity = number_activity(a);
    }
    PlaceId place(p);
    if (const PlaceEntry* e = FindPlace(place)) {
      user->history.push_back({activity, e->index, st});
    } else {
      out.unlisted_history.push_back({user, activity, std::move(place), st});
    }
  });
  if (!s.ok()) return s;
  // Activities were numbered as they came, not in name order.
  for (auto& [id, state] : users) {
    std::sort(state.history.begin(), state.history.end(), UserPlaceEntry::Before);
  }
  std::string last;
  std::vector<std::string> recent;
  const auto number = [&](UserState& state, std::string id, int slot) -> uint32_t {
    PlaceId place(std::move(id));
    if (const PlaceEntry* e = FindPlace(place)) return e->index;
    out.unlisted_profile_places.push_back({&state, slot, std::move(place)});
    return 0;
  };
  s = reader.Scan(Space::kProfiles, [&](std::string_view key, std::string_view value) {
    UserProfile loaded;
    if (!DecodeProfile(value, loaded, last, recent)) return NoteCorrupt(bad, Space::kProfiles);
    UserState& state = users[UserId(std::string(key))];
    UserProfile& profile = state.profile = std::move(loaded);
    if (!last.empty()) profile.last_place = number(state, std::move(last), -1);
    profile.recent.reserve(recent.size());
    for (std::string& id : recent) {
      profile.recent.push_back(
          number(state, std::move(id), static_cast<int>(profile.recent.size())));
    }
  });
  if (!s.ok()) return s;
  s = reader.ScanFrom(
      Space::kLearned, kUserFactorPrefix, [&](std::string_view key, std::string_view value) {
        if (!key.starts_with(kUserFactorPrefix)) return false;
        FactorModel::Vector v;
        if (!FactorModel::Decode(value, v)) {
          NoteCorrupt(bad, Space::kLearned);
          return true;
        }
        UserState& state = users[UserId(std::string(key.substr(kUserFactorPrefix.size())))];
        state.bpr = v;
        state.has_bpr = true;
        return true;
      });
  return NoteBad(s, bad);
}

void Model::InstallUsers(StoredUsers&& in) {
  // Users completed meanwhile (by a change) are newer than this read.
  if (lazy_users_ != nullptr) PutUsers(std::move(in));
}

void Model::PutUsers(StoredUsers&& in) {
  // Nothing adds users while they are pending (a change completes them first), nor during a
  // load at once.
  users_ = std::move(in.users);
  history_activities_ = std::move(in.activities);
  history_activity_numbers_ = std::move(in.activity_numbers);
  for (const StoredUsers::UnlistedProfilePlace& p : in.unlisted_profile_places) {
    const uint32_t n = EntryOrDeleted(p.place).index;
    UserProfile& profile = p.user->profile;
    (p.slot < 0 ? *profile.last_place : profile.recent[static_cast<size_t>(p.slot)]) = n;
  }
  for (StoredUsers::UnlistedHistory& h : in.unlisted_history) {
    const UserPlaceEntry entry{h.activity, EntryOrDeleted(h.place).index, h.stat};
    History& history = h.user->history;
    history.insert(std::upper_bound(history.begin(), history.end(), entry, UserPlaceEntry::Before),
                   entry);
  }
  lazy_users_.reset();
}

Status Model::CompleteUsers() {
  if (lazy_users_ == nullptr) return Status::Ok();
  StoredUsers users;
  if (Status s = ReadStoredUsers(users); !s.ok()) return s;
  InstallUsers(std::move(users));
  return Status::Ok();
}

const PlaceProfile* Model::PlaceInfo(const PlaceId& place) const {
  const std::optional<uint32_t> n = PlaceNumber(place);
  return n ? entries_[*n].profile : nullptr;
}

const Model::PlaceCounts* Model::TransitionsFrom(const PlaceId& from) const {
  const std::optional<uint32_t> n = PlaceNumber(from);
  return n ? TransitionsFrom(*n) : nullptr;
}

int64_t Model::TransitionsOut(const PlaceId& from) const {
  const std::optional<uint32_t> n = PlaceNumber(from);
  return n ? TransitionsOut(*n) : 0;
}

const Model::PlaceCounts* Model::CoVisits(const PlaceId& place) const {
  const std::optional<uint32_t> n = PlaceNumber(place);
  return n ? CoVisits(*n) : nullptr;
}

Status Model::StoredRow(int kind, uint32_t n, std::vector<std::pair<PlaceId, int64_t>>& row) const {
  const Space space = kind == kCovisitRows ? Space::kCovisits : Space::kTransitions;
  row.clear();
  std::string a, b, bad;
  const std::string prefix = ByteWriter().Str(IndexedId(n).str()).Take();
  Status s = lazy_rows_->source->ScanFrom(space, prefix,
                                          [&](std::string_view key, std::string_view value) {
                                            if (!key.starts_with(prefix)) return false;
                                            int64_t count = 0;
                                            ByteReader r(value);
                                            if (!DecodePair(key, a, b) || !r.I64(count)) {
                                              NoteCorrupt(bad, space);
                                              return false;
                                            }
                                            row.emplace_back(PlaceId(b), count);
                                            return true;
                                          });
  return NoteBad(s, bad);
}

void Model::CompleteRow(int kind, uint32_t n) {
  std::atomic<uint8_t>& state = lazy_rows_->state[kind][n];
  if (state.load(std::memory_order_relaxed) == 2) return;
  std::vector<std::pair<PlaceId, int64_t>> stored;
  if (Status s = StoredRow(kind, n, stored); !s.ok()) {
    // A change must not start from part of a row: what it then wrote would replace the
    // stored counts. Only a model used without CompleteRows gets here (the engine completes
    // every row before any change, and stops on a failed read).
    std::fprintf(stderr, "locus: reading a stored row failed: %s\n", s.message().c_str());
    std::abort();
  }
  InstallRow(kind, n, stored);
}

void Model::InstallRow(int kind, uint32_t n, const std::vector<std::pair<PlaceId, int64_t>>& row) {
  std::vector<std::pair<uint32_t, int64_t>> entries;
  entries.reserve(row.size());
  for (const auto& [id, count] : row) {
    entries.emplace_back(EntryOrDeleted(id).index, count);  // may number: the tables grow
  }
  CountRow& installed = (kind == kCovisitRows ? covisits_ : transitions_)[n];
  installed = CountRow::FromUnsorted(std::move(entries));
  if (kind == kTransitionRows) {
    int64_t out = 0;
    installed.ForEach([&](uint32_t, int64_t count) { out += count; });
    transitions_out_[n] = out;
  }
  lazy_rows_->state[kind][n].store(2, std::memory_order_release);
}

Status Model::ReadStoredRows(RowCursor& cursor, size_t budget, StoredRows& out) const {
  out = StoredRows();
  if (lazy_rows_ == nullptr || cursor.kind > kCovisitRows) {
    out.last = true;
    return Status::Ok();
  }
  out.kind = cursor.kind;
  const Space space = cursor.kind == kCovisitRows ? Space::kCovisits : Space::kTransitions;
  // Whole rows, from the cursor on, until the budget of entries is spent at a row's end.
  size_t entries = 0;
  bool ended = true;
  std::string a, b, bad;
  Status s = lazy_rows_->source->ScanFrom(
      space, cursor.key, [&](std::string_view key, std::string_view value) {
        int64_t count = 0;
        ByteReader r(value);
        if (!DecodePair(key, a, b) || !r.I64(count)) {
          NoteCorrupt(bad, space);
          return true;
        }
        if (out.rows.empty() || out.rows.back().first.str() != a) {
          if (entries >= budget) {
            cursor.key = std::string(key);
            ended = false;
            return false;
          }
          out.rows.emplace_back(PlaceId(a), std::vector<std::pair<PlaceId, int64_t>>());
        }
        out.rows.back().second.emplace_back(PlaceId(b), count);
        ++entries;
        return true;
      });
  if (!s.ok()) return s;
  if (!bad.empty()) return Status::Error(bad);
  if (ended) {
    cursor.key.clear();
    out.last = ++cursor.kind > kCovisitRows;
  }
  return Status::Ok();
}

void Model::InstallRows(const StoredRows& chunk) {
  if (lazy_rows_ == nullptr) return;
  for (const auto& [from, to] : chunk.rows) {
    // Both places of a pair are numbered, as a load at once numbers them.
    const uint32_t n = EntryOrDeleted(from).index;
    if (lazy_rows_->state[chunk.kind][n].load(std::memory_order_relaxed) == 2) continue;
    InstallRow(chunk.kind, n, to);
  }
  // Every stored row is in memory: none is read from the store again.
  if (chunk.last) lazy_rows_.reset();
}

Status Model::CompleteRows(size_t budget, bool& done) {
  done = lazy_rows_ == nullptr;
  if (done) return Status::Ok();
  StoredRows chunk;
  Status s = ReadStoredRows(lazy_rows_->cursor, budget, chunk);
  if (!s.ok()) return s;
  InstallRows(chunk);
  done = lazy_rows_ == nullptr;
  return Status::Ok();
}

uint32_t Model::ReadRowForAnswers(int kind, uint32_t n) const {
  std::lock_guard<std::mutex> lock(lazy_rows_->mu);
  std::atomic<uint8_t>& state = lazy_rows_->state[kind][n];
  if (state.load(std::memory_order_relaxed) != 0) return n;
  std::vector<std::pair<PlaceId, int64_t>> stored;
  // A failed read leaves the row unread: this answer goes without it, the next one reads again.
  if (!StoredRow(kind, n, stored).ok()) return n;
  std::vector<std::pair<uint32_t, int64_t>> entries;
  bool whole = true;
  int64_t out = 0;
  for (const auto& [id, count] : stored) {
    const int64_t kept = std::clamp<int64_t>(count, 0, CountRow::kMaxCount);
    out += kept;
    if (const std::optional<uint32_t> number = PlaceNumber(id)) {
      entries.emplace_back(*number, count);
    } else {
      whole = false;  // a deleted place never numbered: no answer reads it
    }
  }
  // Answers fill only slots no one else reads until the state says so (below), and the
  // slots exist already (numbers grow them): the model's tables are otherwise untouched.
  auto& self = const_cast<Model&>(*this);
  (kind == kCovisitRows ? self.covisits_ : self.transitions_)[n] =
      CountRow::FromUnsorted(std::move(entries));
  if (kind == kTransitionRows) self.transitions_out_[n] = out;
  // A row that left a place out is read again once places are numbered (NumberNew()).
  if (!whole) lazy_rows_->partial.emplace_back(kind, n);
  state.store(whole ? 2 : 1, std::memory_order_release);
  return n;
}

void Model::AddLoadedRow(CountRow& row, std::vector<std::pair<uint32_t, int64_t>> entries) {
  if (row.empty()) {
    row = CountRow::FromUnsorted(std::move(entries));
  } else {  // a reader not in key order split the row: the parts add up
    for (const auto& [to, n] : entries) row.Add(to, n);
  }
}

const std::array<int64_t, 24>* Model::ActivityHours(const ActivityId& activity) const {
  auto it = activity_hours_.find(activity);
  return it == activity_hours_.end() ? nullptr : &it->second;
}

std::pair<int64_t, int64_t> Model::ActivityRepeats(const ActivityId& activity) const {
  auto it = activity_repeats_.find(activity);
  return it == activity_repeats_.end() ? std::pair<int64_t, int64_t>{0, 0} : it->second;
}

std::pair<int64_t, double> Model::ActivityRatings(const ActivityId& activity) const {
  auto it = activity_ratings_.find(activity);
  return it == activity_ratings_.end() ? std::pair<int64_t, double>{0, 0.0} : it->second;
}

double Model::ActivityPopularity(const ActivityId& activity) const {
  auto it = activity_events_.find(activity);
  return it == activity_events_.end() ? 0.0 : static_cast<double>(it->second);
}

}  // namespace locus
