// Model::ApplyUser / ApplyFact: the state of one model that applies every event equals the
// state of several models that each apply the users of their partitions and aggregate the
// rows of theirs, with the facts delivered in another order (the scale-out split, README
// "Scale-out on Kafka").
#include "src/core/bytes.h"
#include "src/core/checkin.h"
#include "src/core/fact_log.h"
#include "src/core/model.h"
#include "src/core/partitioner.h"
#include "src/synth/synth_city.h"
#include "tests/unit/core/map_state.h"
#include "tests/unit/core/model_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace locus {
namespace {

using test_support::EntryIds;
using test_support::MapState;

constexpr int32_t kPartitions = 12;
constexpr int kInstances = 3;

// Instance `i` of kInstances owns the partitions p with p % kInstances == i: of the users'
// events and of the rows, by the row's key.
class PartitionOwner final : public RowOwner {
 public:
  explicit PartitionOwner(int instance) : instance_(instance) {}
  bool OwnsUser(const UserId& user) const { return Owns(user.str()); }
  bool OwnsPlace(const PlaceId& place) const override { return Owns(place.str()); }
  bool OwnsActivity(const ActivityId& activity) const override { return Owns(activity.str()); }

 private:
  bool Owns(std::string_view key) const {
    return KafkaPartition(key, kPartitions) % kInstances == instance_;
  }
  int instance_;
};

struct Stream {
  std::vector<Place> places;
  std::vector<Event> events;
};

// A synthetic city's check-ins as places and events, with clicks, ratings and events that
// name one of their place's activities mixed in.
Stream MakeStream() {
  synth::CityOptions city;
  city.places = 300;
  city.users = 90;
  city.checkins = 5000;
  std::ostringstream tsv;
  synth::WriteCheckins(city, tsv);
  Stream s;
  std::set<std::string> venues;
  std::istringstream lines(tsv.str());
  std::string line;
  for (size_t i = 0; std::getline(lines, line); ++i) {
    std::optional<Checkin> c = ParseCheckinLine(line);
    if (!c) continue;
    if (venues.insert(c->venue).second) {
      s.places.push_back(test_support::MakePlace(c->venue, c->venue, c->position, {c->activity}));
      if (venues.size() % 5 == 0) s.places.back().activities.emplace_back("Bar");
    }
    const EventType type = i % 7 == 3    ? EventType::kClick
                           : i % 11 == 5 ? EventType::kRating
                                         : EventType::kVisit;
    Event e = test_support::MakeEvent("e" + std::to_string(i), type, c->user, c->venue, c->ts);
    if (type == EventType::kRating) e.value = static_cast<double>(i % 10);
    if (i % 13 == 0) e.activity = ActivityId(c->activity);
    e.position = c->position;
    s.events.push_back(std::move(e));
  }
  return s;
}

ModelOptions Options() {
  ModelOptions o;
  o.retrain_every_days = 0;  // the retrain is a learned parameter, compared elsewhere
  return o;
}

// kInstances models and `single`, every one listing the stream's places.
std::vector<Model> SplitModels(const Stream& stream, Model& single) {
  std::vector<Model> split;
  split.reserve(kInstances);  // models are not moved once places point into them
  for (int i = 0; i < kInstances; ++i) split.emplace_back(Options());
  for (const Place& p : stream.places) {
    single.UpsertPlace(p);
    for (Model& m : split) m.UpsertPlace(p);
  }
  return split;
}

// The stream applied as the split applies it: each instance applies its users' events in
// order and keeps the facts they give, as it would produce them to the by-place topic, one
// source after another; the facts are delivered in another order than the events' (the last
// source first, each in its order). Each of `singles` applies every event.
void ApplySplit(const Stream& stream, const std::vector<Model*>& singles,
                std::vector<Model>& split) {
  std::vector<PartitionOwner> owners;
  for (int i = 0; i < kInstances; ++i) owners.emplace_back(i);
  std::vector<std::vector<EventFact>> produced(kInstances);
  for (const Event& e : stream.events) {
    for (Model* single : singles) ASSERT_TRUE(single->Apply(e).ok()) << e.event_id;
    for (int i = 0; i < kInstances; ++i) {
      if (!owners[i].OwnsUser(e.user)) continue;
      EventFact fact;
      ASSERT_TRUE(split[i].ApplyUser(e, fact).ok()) << e.event_id;
      produced[i].push_back(std::move(fact));
    }
  }
  for (int source = kInstances - 1; source >= 0; --source) {
    for (const EventFact& fact : produced[source]) {
      for (int i = 0; i < kInstances; ++i) split[i].ApplyFact(fact, &owners[i]);
    }
  }
}

// Every entry a model persisted outside the learned parameters and the counters of what it
// applied itself, as text: (space, key) -> description.
using Entries = std::map<std::pair<Space, std::string>, std::string>;
Entries Summed(MapState& state) {
  Entries out;
  for (Space space : kAllSpaces) {
    if (space == Space::kLearned) continue;
    (void)state.Scan(space, [&](std::string_view key, std::string_view value) {
      if (space == Space::kMeta && !key.starts_with("hours/") && !key.starts_with("repeats/")) {
        return;
      }
      out[{space, std::string(key)}] = Model::DescribeEntry(space, key, value);
    });
  }
  return out;
}

// The rows of `split` merged (each aggregated by one model, places listed by all) are the
// rows of `single`, entry by entry.
void ExpectSameRows(Model& single, std::vector<Model>& split) {
  MapState single_state;
  single.Persist(single_state);
  const Entries want = Summed(single_state);
  Entries merged;
  size_t users_split = 0;
  for (Model& m : split) {
    MapState state;
    m.Persist(state);
    for (auto& [key, text] : Summed(state)) {
      if (key.first == Space::kPlaces) {
        // Every instance lists every place; the listings are the same.
        EXPECT_EQ(want.at(key), text) << key.second;
        merged[key] = text;
        continue;
      }
      if (key.first == Space::kUserHistory || key.first == Space::kProfiles) ++users_split;
      // A row is aggregated by one instance only.
      EXPECT_TRUE(merged.emplace(key, text).second) << SpaceName(key.first) << " " << key.second;
    }
  }
  EXPECT_GT(users_split, 100u);
  EXPECT_GT(want.size(), 2000u);
  EXPECT_EQ(merged.size(), want.size());
  for (const auto& [key, text] : want) {
    auto it = merged.find(key);
    if (it == merged.end()) {
      ADD_FAILURE() << "missing " << SpaceName(key.first) << " " << key.second;
    } else {
      EXPECT_EQ(it->second, text) << SpaceName(key.first) << " " << key.second;
    }
  }
  for (Space space : {Space::kActivityPlace, Space::kCovisits, Space::kTransitions,
                      Space::kPlaceProfiles, Space::kUserHistory}) {
    EXPECT_TRUE(std::any_of(want.begin(), want.end(), [&](const auto& kv) {
      return kv.first.first == space;
    })) << SpaceName(space);
  }
}

TEST(ModelSplitTest, ThreeInstancesSplittingUsersAndRowsByPartitionHoldTheSingleModelsState) {
  const Stream stream = MakeStream();
  Model single(Options());
  std::vector<Model> split = SplitModels(stream, single);
  ApplySplit(stream, {&single}, split);

  ExpectSameRows(single, split);
}

std::map<std::string, int64_t> CovisitsById(const Model& m, const PlaceId& place) {
  std::map<std::string, int64_t> out;
  const Model::PlaceCounts* row = m.CoVisits(place);
  if (row == nullptr) return out;
  for (size_t i = 0; i < row->size(); ++i) out[m.IndexedId(row->key(i)).str()] = row->count(i);
  return out;
}

// Bounded co-visit rows (ModelOptions::covisit_row_limit) are the one allowed difference
// between the split and a single model: which entries counted once a cut row keeps depends on
// when it was cut, and facts reach an aggregator in another order. Rows that never reached
// the cut are the unbounded single model's exactly; cut rows stay bounded everywhere, and a
// cut only ever loses counts.
TEST(ModelSplitTest, OnlyCovisitRowsPastTheirLimitMayDifferAndTheyStayBoundedEverywhere) {
  const Stream stream = MakeStream();
  ModelOptions bounded = Options();
  bounded.covisit_row_limit = 16;
  const size_t cut_at = bounded.covisit_row_limit + bounded.covisit_row_limit / 4;
  ModelOptions unbounded = Options();
  unbounded.covisit_row_limit = 0;
  Model unbounded_single(unbounded);
  Model single(bounded);
  std::vector<Model> split;
  split.reserve(kInstances);
  for (int i = 0; i < kInstances; ++i) split.emplace_back(bounded);
  for (const Place& p : stream.places) {
    unbounded_single.UpsertPlace(p);
    single.UpsertPlace(p);
    for (Model& m : split) m.UpsertPlace(p);
  }
  ApplySplit(stream, {&unbounded_single, &single}, split);
  std::vector<PartitionOwner> owners;
  for (int i = 0; i < kInstances; ++i) owners.emplace_back(i);
  int cut = 0, whole = 0;
  for (const Place& p : stream.places) {
    const auto all = CovisitsById(unbounded_single, p.id);
    const Model* owner = nullptr;
    for (int i = 0; i < kInstances; ++i) {
      if (owners[i].OwnsPlace(p.id)) owner = &split[static_cast<size_t>(i)];
    }
    ASSERT_NE(owner, nullptr);
    const auto one = CovisitsById(single, p.id), merged = CovisitsById(*owner, p.id);
    if (all.size() < cut_at) {
      ++whole;
      EXPECT_EQ(one, all) << p.id.str();
      EXPECT_EQ(merged, all) << p.id.str();
      continue;
    }
    ++cut;
    for (const auto* row : {&one, &merged}) {
      EXPECT_LT(row->size(), cut_at) << p.id.str();
      for (const auto& [key, count] : *row) {
        ASSERT_TRUE(all.contains(key)) << p.id.str() << " " << key;
        EXPECT_LE(count, all.at(key)) << p.id.str() << " " << key;
      }
    }
  }
  EXPECT_GT(cut, 5);
  EXPECT_GT(whole, 5);
}

TEST(ModelSplitTest, ALinkLearnedFromANamedActivityIsLearnedByThePlacesOwnerFromTheFact) {
  PartitionOwner owner(0);
  PartitionOwner other(1);
  // A place the owner aggregates, and a user of another instance.
  std::string place = "p0";
  for (int i = 0; !owner.OwnsPlace(PlaceId(place)); ++i) place = "p" + std::to_string(i);
  Model users_side(Options());
  Model rows_side(Options());
  for (Model* m : {&users_side, &rows_side}) {
    m->UpsertPlace(test_support::MakePlace(place, "Corner", {40.74, -74.02}, {"Coffee Shop"}));
  }
  EventFact fact;
  const Event e = test_support::MakeEvent("e1", EventType::kVisit, "u1", place, test_support::kT0,
                                          "Karaoke Bar");
  ASSERT_TRUE(users_side.ApplyUser(e, fact).ok());
  EXPECT_TRUE(fact.named);
  EXPECT_FALSE(fact.seen_before);
  users_side.ApplyFact(fact, &other);
  rows_side.ApplyFact(fact, &owner);
  EXPECT_FALSE(users_side.FindPlace(PlaceId(place))->Lists(ActivityId("Karaoke Bar")));
  EXPECT_TRUE(rows_side.FindPlace(PlaceId(place))->Lists(ActivityId("Karaoke Bar")));
  EXPECT_NE(test_support::Stat(rows_side, "Karaoke Bar", place), nullptr);
  EXPECT_EQ(test_support::Stat(users_side, "Karaoke Bar", place), nullptr);
  // The user's own history is where the user is.
  EXPECT_NE(test_support::Mine(users_side, "u1", "Karaoke Bar", place), nullptr);
  EXPECT_EQ(test_support::Mine(rows_side, "u1", "Karaoke Bar", place), nullptr);
}

TEST(ModelSplitTest, FactsThroughTheByPlaceBytesAndFilterCountOnceWhenASourceReplays) {
  const Stream stream = MakeStream();
  Model single(Options());
  std::vector<Model> split = SplitModels(stream, single);
  // The by-place topic: records per destination partition, in the order produced.
  std::vector<std::vector<std::string>> by_place(kPartitions);
  std::vector<int64_t> next_offset(kPartitions, 0);
  size_t records = 0;
  for (const Event& e : stream.events) {
    ASSERT_TRUE(single.Apply(e).ok()) << e.event_id;
    const int32_t p = KafkaPartition(e.user.str(), kPartitions);
    EventFact fact;
    ASSERT_TRUE(split[p % kInstances].ApplyUser(e, fact).ok()) << e.event_id;
    const FactSource source{p, next_offset[p]++};
    std::string bytes = EncodeFact(fact, source);
    for (int32_t q : FactDestinations(fact, kPartitions)) {
      by_place[q].push_back(bytes);
      ++records;
      // Every tenth event of a source is sent again later, as after a crash of its owner
      // that re-applies events past its last commit: the copy must count for nothing.
      if (source.offset % 10 == 9) by_place[q].push_back(bytes);
    }
  }
  EXPECT_GT(records, stream.events.size());  // facts reach more than the place's partition
  size_t dropped = 0;
  for (int32_t q = kPartitions - 1; q >= 0; --q) {
    const PartitionRowOwner owner(q, kPartitions);
    FactFilter filter;
    for (const std::string& bytes : by_place[q]) {
      auto decoded = DecodeFact(bytes);
      ASSERT_TRUE(decoded.has_value());
      if (!filter.Accept(decoded->second)) {
        ++dropped;
        continue;
      }
      split[q % kInstances].ApplyFact(decoded->first, &owner);
    }
    auto restored = FactFilter::Decode(filter.Encode());
    ASSERT_TRUE(restored.has_value());
    EXPECT_EQ(restored->applied(), filter.applied());
  }
  EXPECT_GT(dropped, 100u);
  ExpectSameRows(single, split);
}

// The entries of `state` in `space` that belong to one of `users` (history keys start with
// the length-prefixed user id, profile keys are the id, factor keys "factor/user/<id>").
std::map<std::string, std::string> UserEntries(const MapState& state, Space space,
                                               const std::set<std::string>& users) {
  std::map<std::string, std::string> out;
  (void)state.Scan(space, [&](std::string_view key, std::string_view value) {
    for (const std::string& u : users) {
      const std::string prefixed = ByteWriter().Str(u).Take();
      if (key == u || key.starts_with(prefixed) || key == "factor/user/" + u) {
        out[std::string(key)] = Model::DescribeEntry(space, key, value);
      }
    }
  });
  return out;
}

TEST(ModelSplitTest, UsersDroppedWithChangesNotYetPersistedAreNotWritten) {
  // The changes of a user dropped before the next Persist point at state that is gone: the
  // batch must leave them out (and write the deletes), while the others' changes still go.
  const Stream stream = MakeStream();
  Model m(Options());
  for (const Place& p : stream.places) m.UpsertPlace(p);
  const size_t half = stream.events.size() / 2;
  for (size_t i = 0; i < half; ++i) ASSERT_TRUE(m.Apply(stream.events[i]).ok());
  MapState state;
  m.Persist(state);
  std::set<std::string> gone, kept;
  for (size_t i = half; i < stream.events.size(); ++i) {
    const Event& e = stream.events[i];
    ASSERT_TRUE(m.Apply(e).ok()) << e.event_id;
    (KafkaPartition(e.user.str(), kPartitions) == 3 ? gone : kept).insert(e.user.str());
  }
  ASSERT_FALSE(gone.empty());
  ASSERT_FALSE(kept.empty());
  m.DropUsers([&](const UserId& u) { return gone.contains(u.str()); });
  state.TakeOps();
  m.Persist(state);
  std::set<std::string> put_users;
  for (const MapState::Op& op : state.TakeOps()) {
    if (!op.put || op.space != Space::kProfiles) continue;
    put_users.insert(op.key);
  }
  for (const std::string& u : gone) EXPECT_FALSE(put_users.contains(u)) << u;
  for (const std::string& u : kept) EXPECT_TRUE(put_users.contains(u)) << u;
  for (Space space : {Space::kUserHistory, Space::kProfiles, Space::kLearned}) {
    EXPECT_TRUE(UserEntries(state, space, gone).empty()) << SpaceName(space);
  }
}

TEST(ModelSplitTest,
     UsersOfAPartitionGivenUpAreDroppedFromMemoryAndStoreAndComeBackFromTheirEvents) {
  const Stream stream = MakeStream();
  Model m(Options());
  for (const Place& p : stream.places) m.UpsertPlace(p);
  for (const Event& e : stream.events) ASSERT_TRUE(m.Apply(e).ok()) << e.event_id;
  MapState state;
  m.Persist(state);
  const Entries rows_before = Summed(state);
  constexpr int32_t kGivenUp = 5;
  std::set<std::string> gone, kept;
  for (const Event& e : stream.events) {
    (KafkaPartition(e.user.str(), kPartitions) == kGivenUp ? gone : kept).insert(e.user.str());
  }
  ASSERT_FALSE(gone.empty());
  ASSERT_FALSE(kept.empty());
  std::map<Space, std::map<std::string, std::string>> before;
  for (Space space : {Space::kUserHistory, Space::kProfiles, Space::kLearned}) {
    before[space] = UserEntries(state, space, gone);
    ASSERT_FALSE(before[space].empty()) << SpaceName(space);
  }
  const auto kept_before = UserEntries(state, Space::kUserHistory, kept);

  const size_t dropped = m.DropUsers(
      [&](const UserId& u) { return KafkaPartition(u.str(), kPartitions) == kGivenUp; });
  EXPECT_EQ(dropped, gone.size());
  m.Persist(state);
  for (Space space : {Space::kUserHistory, Space::kProfiles, Space::kLearned}) {
    EXPECT_TRUE(UserEntries(state, space, gone).empty()) << SpaceName(space);
  }
  EXPECT_EQ(UserEntries(state, Space::kUserHistory, kept), kept_before);
  for (const std::string& u : gone) EXPECT_EQ(m.Profile(UserId(u)), nullptr) << u;
  for (const std::string& u : kept) EXPECT_NE(m.Profile(UserId(u)), nullptr) << u;
  Model loaded(Options());
  ASSERT_TRUE(loaded.Load(state).ok());
  for (const std::string& u : gone) EXPECT_EQ(loaded.Profile(UserId(u)), nullptr) << u;

  // The rows summed over users are not the users' to take away.
  Entries rows_after = Summed(state);
  std::erase_if(rows_after, [](const auto& kv) {
    return kv.first.first == Space::kUserHistory || kv.first.first == Space::kProfiles;
  });
  Entries rows_want = rows_before;
  std::erase_if(rows_want, [](const auto& kv) {
    return kv.first.first == Space::kUserHistory || kv.first.first == Space::kProfiles;
  });
  EXPECT_EQ(rows_after, rows_want);

  // A new owner rebuilds them from the partition's events (the user part only: the rows
  // already hold what the events added).
  Model owner(Options());
  ASSERT_TRUE(owner.Load(state).ok());
  EventFact fact;
  for (const Event& e : stream.events) {
    if (gone.contains(e.user.str())) {
      ASSERT_TRUE(owner.ApplyUser(e, fact).ok()) << e.event_id;
    }
  }
  MapState rebuilt;
  owner.Persist(rebuilt);
  EXPECT_EQ(UserEntries(rebuilt, Space::kUserHistory, gone), before[Space::kUserHistory]);
  EXPECT_EQ(UserEntries(rebuilt, Space::kProfiles, gone), before[Space::kProfiles]);
}

// The entries of Summed() that are rows summed over users (not a user's own).
Entries Rows(MapState& state) {
  Entries out = Summed(state);
  std::erase_if(out, [](const auto& kv) {
    return kv.first.first == Space::kUserHistory || kv.first.first == Space::kProfiles;
  });
  return out;
}

TEST(ModelSplitTest, RowsPublishedByEachAggregatorAndInstalledByTheOthersGiveEveryInstanceAllRows) {
  const Stream stream = MakeStream();
  Model single(Options());
  std::vector<Model> split = SplitModels(stream, single);
  std::vector<PartitionOwner> owners;
  for (int i = 0; i < kInstances; ++i) owners.emplace_back(i);
  for (const Event& e : stream.events) {
    ASSERT_TRUE(single.Apply(e).ok()) << e.event_id;
    EventFact fact;
    for (int i = 0; i < kInstances; ++i) {
      if (!owners[i].OwnsUser(e.user)) continue;
      ASSERT_TRUE(split[i].ApplyUser(e, fact).ok()) << e.event_id;
      for (int j = 0; j < kInstances; ++j) split[j].ApplyFact(fact, &owners[j]);
    }
  }
  // The model topic: what each aggregator persisted of its rows, as stored.
  std::vector<MapState> states(kInstances);
  std::vector<std::vector<MapState::Op>> published(kInstances);
  for (int i = 0; i < kInstances; ++i) {
    split[i].Persist(states[i]);
    const Entries rows = Rows(states[i]);
    for (MapState::Op& op : states[i].TakeOps()) {
      if (op.put && rows.contains({op.space, op.key})) {
        published[i].push_back(std::move(op));
      }
    }
    ASSERT_FALSE(published[i].empty());
  }
  for (int i = 0; i < kInstances; ++i) {
    for (int j = 0; j < kInstances; ++j) {
      if (j == i) continue;
      for (const MapState::Op& op : published[j]) {
        ASSERT_TRUE(split[i].InstallRow(op.space, op.key, op.value).ok()) << op.key;
      }
    }
    split[i].Persist(states[i]);
  }
  MapState single_state;
  single.Persist(single_state);
  const Entries want = Rows(single_state);
  for (int i = 0; i < kInstances; ++i) {
    EXPECT_EQ(Rows(states[i]), want) << "instance " << i;
    // What is derived from the rows follows them.
    for (const auto& [activity, stats] : single.activity_stats()) {
      const auto* top = split[i].TopPlaces(activity);
      const auto* active = split[i].ActivePlacesFor(activity);
      ASSERT_NE(top, nullptr) << activity.str();
      EXPECT_EQ(*top, *single.TopPlaces(activity)) << activity.str();
      ASSERT_NE(active, nullptr) << activity.str();
      EXPECT_EQ(EntryIds(*active), EntryIds(*single.ActivePlacesFor(activity))) << activity.str();
      EXPECT_EQ(split[i].ActivityRatings(activity), single.ActivityRatings(activity));
      EXPECT_EQ(split[i].ActivityPopularity(activity), single.ActivityPopularity(activity));
    }
    single.ForEachPlace([&](const PlaceEntry& place) {
      EXPECT_EQ(split[i].TransitionsOut(place.id), single.TransitionsOut(place.id))
          << place.id.str();
    });
  }
  EXPECT_FALSE(split[0].InstallRow(Space::kProfiles, "u1", "x").ok());
  EXPECT_FALSE(split[0].InstallRow(Space::kCovisits, "nonsense", "x").ok());
}

TEST(FactLogTest, AFactComesBackFromItsBytesAndPartialOrForeignBytesAreRefused) {
  EventFact f;
  f.place = PlaceId("p9");
  f.type = EventType::kClick;
  f.ts = 1'333'476'009'000;
  f.value = 4.5;
  f.activities = {ActivityId("Bar"), ActivityId("Coffee Shop")};
  f.named = false;
  f.seen_before = true;
  f.covisited = {PlaceId("a"), PlaceId("b")};
  f.from = PlaceId("a");
  const std::string bytes = EncodeFact(f, {7, 12345});
  auto back = DecodeFact(bytes);
  ASSERT_TRUE(back.has_value());
  const EventFact& g = back->first;
  EXPECT_EQ(back->second.partition, 7);
  EXPECT_EQ(back->second.offset, 12345);
  EXPECT_EQ(g.place, f.place);
  EXPECT_EQ(g.type, f.type);
  EXPECT_EQ(g.ts, f.ts);
  EXPECT_EQ(g.value, f.value);
  EXPECT_EQ(g.activities, f.activities);
  EXPECT_EQ(g.named, f.named);
  EXPECT_EQ(g.seen_before, f.seen_before);
  EXPECT_EQ(g.covisited, f.covisited);
  EXPECT_EQ(g.from, f.from);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeFact(bytes.substr(0, n)).has_value()) << n;
  }
  EXPECT_FALSE(DecodeFact(bytes + "x").has_value());
  std::string other = bytes;
  other[0] = 9;  // another version
  EXPECT_FALSE(DecodeFact(other).has_value());
  EXPECT_FALSE(FactFilter::Decode("nonsense").has_value());
}

TEST(FactLogTest, TheFilterTakesEachSourcesOffsetsOnceInOrder) {
  FactFilter filter;
  EXPECT_TRUE(filter.Accept({0, 5}));
  EXPECT_TRUE(filter.Accept({1, 0}));
  EXPECT_FALSE(filter.Accept({0, 5}));
  EXPECT_FALSE(filter.Accept({0, 3}));
  EXPECT_TRUE(filter.Accept({0, 6}));
  EXPECT_FALSE(filter.Accept({1, 0}));
  EXPECT_EQ(filter.applied(), (std::map<int32_t, int64_t>{{0, 6}, {1, 0}}));
}

}  // namespace
}  // namespace locus
