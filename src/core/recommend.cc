#include "src/core/recommend.h"

#include "src/core/features.h"
#include "src/core/geo.h"
#include "src/core/llr.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <unordered_set>

namespace locus {
namespace {

std::string KmAway(double km) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f km away", km);
  return buf;
}

// The reasons every scorer gives: own visits, popularity, distance.
void AddBasicReasons(const ActivityId& activity, int64_t own_visits, int64_t visits, Candidate& c) {
  if (own_visits > 0) {
    c.reasons.push_back("you have been here " + std::to_string(own_visits) +
                        (own_visits == 1 ? " time" : " times"));
  }
  if (visits > 0) {
    c.reasons.push_back("popular for " + activity.str() + ": " + std::to_string(visits) +
                        (visits == 1 ? " visit" : " visits"));
  }
  if (c.distance_km) c.reasons.push_back(KmAway(*c.distance_km));
}

// The user's own visits and the place's visits + clicks for the activity, as reasons show them.
std::pair<int64_t, int64_t> ReasonCounts(const ScoreContext& ctx, const Place& place) {
  int64_t own_visits = 0, visits = 0;
  if (ctx.user) {
    const Model::UserPlaces mine = ctx.model.UserHistory(*ctx.user, ctx.activity);
    if (const std::optional<uint32_t> n = ctx.model.PlaceNumber(place.id)) {
      if (const UserPlaceStat* own = mine.Find(*n)) own_visits = own->visits;
    }
  }
  if (const Model::PlaceStats* stats = ctx.model.StatsFor(ctx.activity)) {
    if (auto it = stats->find(place.id); it != stats->end()) {
      visits = it->second.visits + it->second.clicks;
    }
  }
  return {own_visits, visits};
}

// The first 8 bytes of an id, big-endian, zero-padded: a smaller prefix is a smaller id, so
// ordering by prefix and by the whole id only between equal prefixes is the id order.
uint64_t IdPrefix(const PlaceId& id) {
  const std::string& s = id.str();
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i) {
    key = key << 8 | (i < s.size() ? static_cast<unsigned char>(s[i]) : 0u);
  }
  return key;
}

}  // namespace

void BaselineScorer::Score(const ScoreContext& ctx, std::vector<Candidate>& candidates) const {
  const Model::PlaceStats* stats = ctx.model.StatsFor(ctx.activity);
  const Model::UserPlaces mine =
      ctx.user ? ctx.model.UserHistory(*ctx.user, ctx.activity) : Model::UserPlaces();
  const ModelOptions& opt = ctx.model.options();
  for (Candidate& c : candidates) {
    double popularity = 0;
    if (stats != nullptr) {
      if (auto it = stats->find(c.place->id); it != stats->end()) {
        popularity = it->second.popularity.At(ctx.now, ctx.model.half_life_ms());
      }
    }
    double own = 0;
    if (const UserPlaceStat* st = mine.Find(c.place->index)) {
      own = opt.visit_weight * static_cast<double>(st->visits) +
            opt.click_weight * static_cast<double>(st->clicks);
    }
    c.score = std::log1p(popularity) + 3.0 * std::log1p(own);
    if (c.distance_km) c.score -= std::log1p(*c.distance_km / opt.distance_scale_km);
  }
}

void BaselineScorer::Explain(const ScoreContext& ctx, Candidate* chosen, size_t n) const {
  for (size_t i = 0; i < n; ++i) {
    Candidate& c = chosen[i];
    const auto [own_visits, visits] = ReasonCounts(ctx, *c.place);
    AddBasicReasons(ctx.activity, own_visits, visits, c);
    if (c.reasons.empty()) c.reasons.push_back("listed for " + ctx.activity.str());
  }
}

void LearnedScorer::Score(const ScoreContext& ctx, std::vector<Candidate>& candidates) const {
  const FeatureContext fc =
      MakeFeatureContext(ctx.model, ctx.activity, ctx.user, ctx.position, ctx.now);
  std::vector<Features> features;
  features.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i + kFeaturePrefetchAhead < candidates.size()) {
      PrefetchFeatureReads(*candidates[i + kFeaturePrefetchAhead].place);
    }
    features.push_back(ComputeFeatures(fc, *candidates[i].place, candidates[i].distance_km));
  }
  std::vector<double> scores;
  ctx.model.blend().Score(features, fc.gate, scores);
  const bool has_last = fc.profile != nullptr && fc.profile->last_place;
  for (size_t i = 0; i < candidates.size(); ++i) {
    Candidate& c = candidates[i];
    const Features& x = features[i];
    c.score = scores[i];
    c.next_from_last = x[kTransLog] > 0 && has_last;
    c.covisited = x[kCovisit] > 0.3;
    c.busy_now = x[kHourAffinity] > 0.5;
  }
}

void LearnedScorer::Explain(const ScoreContext& ctx, Candidate* chosen, size_t n) const {
  const UserProfile* profile = ctx.user ? ctx.model.Profile(*ctx.user) : nullptr;
  for (size_t i = 0; i < n; ++i) {
    Candidate& c = chosen[i];
    const auto [own_visits, visits] = ReasonCounts(ctx, *c.place);
    AddBasicReasons(ctx.activity, own_visits, visits, c);
    if (c.next_from_last && profile != nullptr && profile->last_place) {
      const Place* from = ctx.model.IndexedPlace(*profile->last_place);
      c.reasons.push_back(
          "people often come here next from " +
          (from != nullptr ? from->name : ctx.model.IndexedId(*profile->last_place).str()));
    }
    if (c.covisited) c.reasons.push_back("people who go where you go come here too");
    if (c.busy_now) c.reasons.push_back("busy at this time of day");
    if (c.reasons.empty()) c.reasons.push_back("listed for " + ctx.activity.str());
  }
}

std::vector<Candidate> GatherCandidates(const Model& model, const ActivityId& activity,
                                        const Query& query, const RecommendOptions& options) {
  std::vector<Candidate> out;
  const std::vector<const PlaceEntry*>* all = model.ListedEntries(activity);
  if (all == nullptr) return out;
  const double origin_cos = query.position ? CosLatitude(*query.position) : 0;
  auto distance = [&](const PlaceEntry& p) {
    return HaversineKm(*query.position, origin_cos, p.position, p.cos_lat);
  };
  if (all->size() <= options.full_scan_limit) {
    out.reserve(all->size());
    for (const PlaceEntry* p : *all) {
      Candidate& c = out.emplace_back();
      c.place = p;
      if (query.position) c.distance_km = distance(*p);
    }
    return out;
  }
  // Found places with their id's prefix (for the sort below) and, for the nearest, the
  // distance measured to choose them (NaN: not measured).
  struct Found {
    uint64_t prefix;
    const PlaceEntry* place;
    double distance_km;
  };
  std::vector<Found> found;
  auto add = [&](const PlaceEntry* p, double d = std::nan("")) {
    found.push_back({IdPrefix(p->id), p, d});
  };
  if (const std::vector<PlaceId>* top = model.TopPlaces(activity)) {
    for (const PlaceId& id : *top) {
      if (const PlaceEntry* p = model.FindPlace(id)) add(p);
    }
  }
  if (query.position) {
    // The index returns whole rings of cells (often several times what was asked for): keep
    // the nearest by exact distance, ties by id.
    const double max_km = query.radius_km.value_or(50.0);
    std::vector<const PlaceEntry*> near;
    model.NearPlaces(activity, *query.position, options.near_candidates, max_km, near);
    std::vector<std::pair<double, const PlaceEntry*>> by_distance;
    by_distance.reserve(near.size());
    for (const PlaceEntry* p : near) by_distance.emplace_back(distance(*p), p);
    if (by_distance.size() > options.near_candidates) {
      const size_t keep = options.near_candidates;
      auto nearer = [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first : a.second->id < b.second->id;
      };
      std::nth_element(by_distance.begin(), by_distance.begin() + static_cast<std::ptrdiff_t>(keep),
                       by_distance.end(), nearer);
      by_distance.resize(keep);
    }
    for (const auto& [d, p] : by_distance) add(p, d);
  }
  if (query.user) {
    for (const UserPlaceEntry& h : model.UserHistory(*query.user, activity)) {
      if (const PlaceEntry* p = model.IndexedPlace(h.place)) add(p);
    }
    if (const UserProfile* profile = model.Profile(*query.user)) {
      // Where people go next from the user's last place, and the strongest co-visitation
      // neighbours (by LLR) of their recent places.
      auto listed = [&](uint32_t index) -> const PlaceEntry* {
        const PlaceEntry* p = model.IndexedPlace(index);
        return p != nullptr && p->Lists(activity) ? p : nullptr;
      };
      if (profile->last_place) {
        if (const Model::PlaceCounts* row = model.TransitionsFrom(*profile->last_place)) {
          row->ForEach([&](uint32_t to, int64_t) {
            if (const PlaceEntry* p = listed(to)) add(p);
          });
        }
      }
      constexpr size_t kRecent = 8;
      const size_t n = profile->recent.size();
      std::vector<std::pair<double, const PlaceEntry*>> neighbours;
      for (size_t i = n > kRecent ? n - kRecent : 0; i < n; ++i) {
        const Model::PlaceCounts* row = model.CoVisits(profile->recent[i]);
        const PlaceProfile* info = row != nullptr ? model.PlaceInfoAt(profile->recent[i]) : nullptr;
        if (row == nullptr || info == nullptr) continue;
        neighbours.clear();
        row->ForEach([&](uint32_t other, int64_t both) {
          const PlaceEntry* p = listed(other);
          if (p == nullptr || p->profile == nullptr) return;
          const double llr = CovisitLlr(both, info->users, p->profile->users, model.user_count());
          if (llr > 0) neighbours.emplace_back(llr, p);
        });
        const size_t keep = std::min(neighbours.size(), options.covisit_neighbours);
        std::partial_sort(
            neighbours.begin(), neighbours.begin() + static_cast<std::ptrdiff_t>(keep),
            neighbours.end(), [](const auto& a, const auto& b) {
              return a.first != b.first ? a.first > b.first : a.second->id < b.second->id;
            });
        for (size_t k = 0; k < keep; ++k) add(neighbours[k].second);
      }
    }
  }
  // Each once, in id order: the answer must not depend on how they were found. The prefixes
  // decide most comparisons without reading two ids from two places' memory.
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.prefix != b.prefix ? a.prefix < b.prefix : a.place->id < b.place->id;
  });
  out.reserve(found.size());
  for (const Found& f : found) {
    if (!out.empty() && out.back().place == f.place) {
      if (!std::isnan(f.distance_km)) out.back().distance_km = f.distance_km;
      continue;
    }
    Candidate& c = out.emplace_back();
    c.place = f.place;
    if (!std::isnan(f.distance_km)) c.distance_km = f.distance_km;
  }
  if (query.position) {
    for (Candidate& c : out) {
      if (!c.distance_km) c.distance_km = distance(*c.place);
    }
  }
  return out;
}

std::string ModelVersion(const Model& model, const RecommendOptions& options) {
  const AlsModel* als = model.als();
  return als == nullptr ? options.model_version : options.model_version + "+" + als->version();
}

Answer Recommend(const Model& model, const Scorer& scorer, const Query& query,
                 const RecommendOptions& options) {
  Answer answer;
  answer.request_id = query.request_id;
  answer.model_version = ModelVersion(model, options);
  const Resolution r = model.resolver().Resolve(
      query.activity_text, [&](const ActivityId& a) { return model.ActivityPopularity(a); });
  if (!r.activity) {
    answer.ok = false;
    answer.activity = query.activity_text;
    answer.error = "unknown activity '" + query.activity_text + "'";
    if (!r.suggestions.empty()) {
      answer.error += "; did you mean '" + r.suggestions.front() + "'?";
    } else {
      answer.error += "; no activities are known yet (no places ingested)";
    }
    answer.suggestions = r.suggestions;
    return answer;
  }
  const ActivityId& activity = *r.activity;
  answer.activity = activity.str();
  const int k = std::clamp(query.k.value_or(options.default_k), 1, options.max_k);

  std::unordered_set<PlaceId> excluded(query.exclude.begin(), query.exclude.end());
  std::vector<Candidate> candidates = GatherCandidates(model, activity, query, options);
  std::erase_if(candidates, [&](const Candidate& c) {
    return (!excluded.empty() && excluded.contains(c.place->id)) ||
           (query.radius_km && c.distance_km && *c.distance_km > *query.radius_km);
  });
  const TimeMs now = query.at.value_or(model.newest_ts());
  const ScoreContext context{model, activity, query.user, query.position, now};
  scorer.Score(context, candidates);

  auto better = [](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.place->id < b.place->id;
  };
  const size_t n = std::min(candidates.size(), static_cast<size_t>(k));
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n),
                    candidates.end(), better);
  scorer.Explain(context, candidates.data(), n);
  for (size_t i = 0; i < n; ++i) {
    Candidate& c = candidates[i];
    answer.items.push_back(
        ScoredPlace{c.place->id, c.place->name, c.score, c.distance_km, std::move(c.reasons)});
  }
  return answer;
}

}  // namespace locus
