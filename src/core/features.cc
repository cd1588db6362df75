#include "src/core/features.h"

#include "src/core/geo.h"
#include "src/core/llr.h"
#include "src/core/time_format.h"

#include <algorithm>
#include <cmath>

namespace locus {
namespace {

// Half-life of the user's own recency signal, days of event time.
constexpr double kOwnRecencyDays = 7.0;

}  // namespace

FeatureContext MakeFeatureContext(const Model& m, const ActivityId& activity,
                                  const std::optional<UserId>& user,
                                  const std::optional<GeoPoint>& position, TimeMs t) {
  FeatureContext c;
  c.model = &m;
  c.activity = activity;
  c.position = position;
  c.t = t;
  c.user = user;
  c.hour = UtcHour(t);
  c.stats = m.StatsFor(activity);
  c.activity_hours = m.ActivityHours(activity);
  if (c.activity_hours != nullptr) {
    for (int64_t v : *c.activity_hours) c.activity_events += static_cast<double>(v);
  }
  c.users = m.user_count();
  if (const auto [n, sum] = m.ActivityRatings(activity); n > 0) {
    c.rating_mean = sum / static_cast<double>(n);
  }
  if (!user) return c;
  c.bpr_user = m.UserFactor(*user);
  c.mine = m.UserHistory(*user, activity);
  // The user's places in id order (every sum below then runs in the same order whatever order
  // the map holds them in, which differs between a live model and a restored one), each
  // looked up once.
  struct Own {
    const PlaceId* id;
    const UserPlaceStat* stat;
    const Place* place;  // nullptr: deleted
  };
  std::vector<Own> mine;
  if (!c.mine.empty()) {
    mine.reserve(c.mine.size());
    for (const UserPlaceEntry& h : c.mine) {
      mine.push_back({&m.IndexedId(h.place), &h.stat, m.IndexedPlace(h.place)});
    }
    std::sort(mine.begin(), mine.end(), [](const Own& a, const Own& b) { return *a.id < *b.id; });
  }
  if (!c.mine.empty()) {
    double best = -1, sum_lat = 0, sum_lon = 0, n = 0;
    for (const Own& o : mine) {
      const PlaceId& place = *o.id;
      const UserPlaceStat& s = *o.stat;
      const double own = OwnWeight(m, s);
      c.mine_total += own;
      if (own > best || (own == best && c.favourite && place < *c.favourite)) {
        best = own;
        c.favourite = place;
      }
      if (const Place* p = o.place) {
        sum_lat += own * p->position.lat;
        sum_lon += own * p->position.lon;
        n += own;
      }
    }
    if (n > 0) {
      c.area = GeoPoint{sum_lat / n, sum_lon / n};
      c.area_cos = CosLatitude(*c.area);
    }
  }
  c.gate[kGateBias] = 1;
  {
    const auto [visits, repeats] = m.ActivityRepeats(activity);
    c.gate[kGateActivityRepeat] =
        std::log((static_cast<double>(repeats) + 1) / (static_cast<double>(visits - repeats) + 1));
  }
  if (!c.mine.empty()) {
    double best = 0, nearest = INFINITY;
    TimeMs last = 0;
    for (const Own& o : mine) {
      best = std::max(best, OwnWeight(m, *o.stat));
      last = std::max(last, o.stat->last);
      if (position && o.place != nullptr)
        nearest = std::min(nearest, HaversineKm(*position, o.place->position));
    }
    c.gate[kGateOwnPlacesLog] = std::log1p(static_cast<double>(c.mine.size()));
    double own_visits = 0;
    for (const Own& o : mine) own_visits += static_cast<double>(o.stat->visits);
    const double distinct = static_cast<double>(c.mine.size());
    c.gate[kGateUserActivityRepeat] =
        std::log((std::max(0.0, own_visits - distinct) + 1) / (distinct + 1));
    c.gate[kGateOwnVisitsLog] = std::log1p(c.mine_total);
    c.gate[kGateConcentration] = c.mine_total > 0 ? best / c.mine_total : 0;
    if (std::isfinite(nearest)) c.gate[kGateNearestOwnLog] = std::log1p(nearest);
    c.gate[kGateSinceOwnLog] =
        std::log1p(static_cast<double>(std::max<TimeMs>(0, t - last)) / kMsPerDay);
  }
  // The user's places over all activities, read once for the tags and the ALS fold-in.
  const std::vector<std::pair<uint32_t, double>> all_places = m.UserCounts(*user);
  for (const auto& [place, n] : all_places) {
    if (const Place* p = m.IndexedPlace(place)) {
      c.own_tags.insert(c.own_tags.end(), p->tags.begin(), p->tags.end());
    }
  }
  // Each tag once, sorted for binary search.
  std::sort(c.own_tags.begin(), c.own_tags.end());
  c.own_tags.erase(std::unique(c.own_tags.begin(), c.own_tags.end()), c.own_tags.end());
  if (const AlsModel* als = m.als(); als != nullptr) {
    std::vector<std::pair<const float*, double>> vectors;
    vectors.reserve(all_places.size());
    for (const auto& [place, n] : all_places) vectors.emplace_back(m.AlsVectorAt(place), n);
    c.als_user = als->FoldIn(vectors);
  }
  c.profile = m.Profile(*user);
  if (c.profile != nullptr) {
    const UserProfile& p = *c.profile;
    c.repeat_rate = (static_cast<double>(p.repeats) + 1) / (static_cast<double>(p.visits) + 2);
    c.gate[kGateRepeatLogit] = std::log(c.repeat_rate / (1 - c.repeat_rate));
    c.gate[kGateUserVisitsLog] = std::log1p(static_cast<double>(p.visits));
    if (p.last_place && !c.mine.empty()) {
      c.gate[kGateLastIsOwn] = c.mine.contains(*p.last_place);
    }
    if (p.located > 0) {
      const double n = static_cast<double>(p.located);
      c.home = GeoPoint{p.sum_lat / n, p.sum_lon / n};
      c.home_cos = CosLatitude(*c.home);
    }
    if (p.last_place) {
      c.transitions = m.TransitionsFrom(*p.last_place);
      c.transitions_out = static_cast<double>(m.TransitionsOut(*p.last_place));
    }
    // The newest few places carry most of the co-visitation signal and keep it cheap.
    constexpr size_t kCovisitContext = 8;
    const size_t first = p.recent.size() > kCovisitContext ? p.recent.size() - kCovisitContext : 0;
    for (size_t i = first; i < p.recent.size(); ++i) {
      const Model::PlaceCounts* row = m.CoVisits(p.recent[i]);
      const PlaceProfile* info = row != nullptr ? m.PlaceInfoAt(p.recent[i]) : nullptr;
      if (row != nullptr && info != nullptr && info->users > 0) {
        c.covisit_rows.push_back({row, info->users});
      }
    }
  }
  return c;
}

double OwnWeight(const Model& m, const UserPlaceStat& s) {
  return static_cast<double>(s.visits) + m.options().click_weight * static_cast<double>(s.clicks);
}

double OwnCount(const FeatureContext& c, const PlaceEntry& place) {
  const UserPlaceStat* mine = c.mine.Find(place.index);
  return mine != nullptr ? OwnWeight(*c.model, *mine) : 0;
}

Features ComputeFeatures(const FeatureContext& c, const PlaceEntry& place,
                         std::optional<double> distance_km) {
  Features x{};
  const Model& m = *c.model;
  // Own history.
  double own = 0;
  TimeMs own_last = 0;
  if (const UserPlaceStat* mine = c.mine.Find(place.index)) {
    own = OwnWeight(m, *mine);
    own_last = mine->last;
  }
  const double any = own > 0 ? 1.0 : 0.0;
  x[kOwnLog] = std::log1p(own);
  x[kOwnAny] = any;
  x[kOwnShare] = c.mine_total > 0 ? own / c.mine_total : 0;
  x[kOwnRecency] = any * std::exp2(-static_cast<double>(std::max<TimeMs>(0, c.t - own_last)) /
                                   (kOwnRecencyDays * kMsPerDay));
  x[kIsLastPlace] = c.profile && c.profile->last_place == place.index;
  x[kOwnFavourite] = c.favourite && *c.favourite == place.id;
  // Popularity.
  const ActivityPlaceStat* stat = place.StatFor(c.activity);
  const double pop = stat == nullptr
                         ? 0
                         : static_cast<double>(stat->visits) +
                               m.options().click_weight * static_cast<double>(stat->clicks);
  x[kPopLog] = std::log1p(pop);
  // Explicit feedback: the place's mean rating shrunk towards the activity's by a few pseudo
  // ratings, relative to the activity's mean (rating scales differ between services).
  if (c.rating_mean > 0 && stat != nullptr && stat->ratings > 0) {
    constexpr double kPseudoRatings = 3;
    const double shrunk = (stat->rating_sum + kPseudoRatings * c.rating_mean) /
                          (static_cast<double>(stat->ratings) + kPseudoRatings);
    x[kRating] = shrunk / c.rating_mean - 1;
  }
  const PlaceProfile* info = place.profile;
  if (info != nullptr) {
    x[kPopRecentLog] = std::log1p(info->recent.At(c.t, kOwnRecencyDays * kMsPerDay));
    x[kPopUsersLog] = std::log1p(static_cast<double>(info->users));
  }
  // Geography.
  if (distance_km) {
    x[kDistLog] = std::log1p(*distance_km);
    x[kHasDist] = 1;
    x[kNear] = std::exp(-*distance_km);
  }
  if (c.area || c.home) {
    const double cos_place = place.cos_lat;
    if (c.area) {
      x[kDistAreaLog] = std::log1p(HaversineKm(*c.area, c.area_cos, place.position, cos_place));
    }
    if (c.home) {
      x[kDistHomeLog] = std::log1p(HaversineKm(*c.home, c.home_cos, place.position, cos_place));
    }
  }
  // Where people go next from the user's last place.
  if (c.transitions != nullptr) {
    if (const int64_t count = c.transitions->Get(place.index); count > 0) {
      const double n = static_cast<double>(count);
      x[kTransLog] = std::log1p(n);
      x[kTransProb] = n / (c.transitions_out + 1);
    }
  }
  // Co-visitation with the user's recent places: cosine over users, and how surprising the
  // overlap is given each place's popularity (LLR).
  if (info != nullptr && info->users > 0 && !c.covisit_rows.empty()) {
    double cosine = 0, llr = 0;
    for (const auto& [row, users] : c.covisit_rows) {
      if (const int64_t both = row->Get(place.index); both > 0) {
        cosine += static_cast<double>(both) / std::sqrt(static_cast<double>(users));
        llr += CovisitLlr(both, users, info->users, c.users);
      }
    }
    x[kCovisit] = std::log1p(cosine / std::sqrt(static_cast<double>(info->users)));
    x[kCovisitLlr] = std::log1p(llr / static_cast<double>(c.covisit_rows.size()));
  }
  // Time of day: how much more this place is visited at this hour than the activity is.
  if (info != nullptr && c.activity_hours != nullptr) {
    double total = 0;
    for (uint32_t v : info->hours) total += static_cast<double>(v);
    const auto h = static_cast<size_t>(c.hour);
    const double pa = (static_cast<double>((*c.activity_hours)[h]) + 1) / (c.activity_events + 24);
    const double pw = (static_cast<double>(info->hours[h]) + 2 * pa) / (total + 2);
    x[kHourAffinity] = std::log(pw / pa);
  }
  if (!place.tags.empty() && !c.own_tags.empty()) {
    double found = 0;
    for (const std::string& tag : place.tags) {
      found += std::binary_search(c.own_tags.begin(), c.own_tags.end(), tag) ? 1 : 0;
    }
    x[kTagMatch] = found / static_cast<double>(place.tags.size());
  }
  if (c.bpr_user != nullptr && place.bpr != nullptr) x[kFactor] = c.bpr_user->dot(*place.bpr);
  if (c.als_user && place.als != nullptr) {
    x[kAls] = c.als_user->dot(Eigen::Map<const AlsModel::Vector>(place.als, c.als_user->size()));
  }
  return x;
}

}  // namespace locus
