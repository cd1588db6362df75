#include "src/eval/replay.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace locus::eval {

uint64_t SplitMix64(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t TieBreak(uint32_t venue, uint64_t seed) { return SplitMix64((seed << 32) + venue); }

void TopByKeys(const std::vector<uint32_t>& candidates,
               const std::function<std::array<double, 2>(uint32_t)>& keys,
               std::vector<uint32_t>& top) {
  struct Entry {
    std::array<double, 2> k;
    uint64_t tie;
    uint32_t venue;
  };
  std::vector<Entry> e;
  e.reserve(candidates.size());
  for (uint32_t v : candidates) e.push_back({keys(v), TieBreak(v), v});
  const size_t n = std::min<size_t>(10, e.size());
  std::partial_sort(e.begin(), e.begin() + static_cast<std::ptrdiff_t>(n), e.end(),
                    [](const Entry& a, const Entry& b) {
                      if (a.k[0] != b.k[0]) return a.k[0] > b.k[0];
                      if (a.k[1] != b.k[1]) return a.k[1] > b.k[1];
                      return a.tie > b.tie;
                    });
  top.clear();
  for (size_t i = 0; i < n; ++i) top.push_back(e[i].venue);
}

void Metrics::Add(int rank) {
  ++n;
  if (rank <= 0 || rank > 10) return;
  for (int k = rank; k <= 10; ++k) ++hits_at[k - 1];
  ndcg += 1.0 / std::log2(rank + 1.0);
  mrr += 1.0 / rank;
}

ReplayState::ReplayState(const Dataset& d)
    : data(d),
      venue_seen(d.venues.size(), false),
      user_seen(d.users.size(), false),
      venue_count(d.venues.size(), 0),
      by_activity(d.activities.size()),
      mine(d.users.size()),
      last_position(d.users.size()) {}

void ReplayState::Reveal(const Row& row) {
  if (!venue_seen[row.venue]) {
    venue_seen[row.venue] = true;
    by_activity[data.venue_activity[row.venue]].push_back(row.venue);
  }
  user_seen[row.user] = true;
  ++venue_count[row.venue];
  ++mine[row.user][row.venue];
  last_position[row.user] = row.position;
}

ReplayResult Replay(const Dataset& data, std::vector<std::unique_ptr<Method>>& methods,
                    const std::function<void(size_t, size_t)>& progress) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  ReplayResult out;
  out.dataset = data.name;
  out.rows = static_cast<int64_t>(data.rows.size());
  out.users = static_cast<int64_t>(data.users.size());
  out.venues = static_cast<int64_t>(data.venues.size());
  out.activities = static_cast<int64_t>(data.activities.size());
  for (const auto& m : methods) out.methods.push_back({m->name(), {}, {}, {}, {}, 0, {}});

  ReplayState state(data);
  for (auto& m : methods) m->Bind(state);
  const size_t n = data.rows.size();
  const size_t warmup = n * 8 / 10;  // floor(0.8 N)
  int64_t in_ceiling = 0, cold_venue = 0, cold_user = 0, candidates_total = 0;
  constexpr int64_t kWindow = 250;
  std::vector<int64_t> window_hits(methods.size(), 0);
  std::vector<uint32_t> top;
  std::vector<uint32_t> no_candidates;

  for (size_t i = 0; i < n; ++i) {
    const Row& row = data.rows[i];
    if (i >= warmup) {
      Query q{i, row.user, row.activity, state.last_position[row.user], row.ts};
      const bool user_seen = state.user_seen[row.user];
      const bool venue_seen = state.venue_seen[row.venue];
      const bool is_candidate = venue_seen && data.venue_activity[row.venue] == row.activity;
      auto mine_it = state.mine[row.user].find(row.venue);
      const bool novel = user_seen && is_candidate && mine_it == state.mine[row.user].end();
      const bool warm = user_seen && venue_seen;
      const std::vector<uint32_t>& candidates = state.by_activity[row.activity];
      ++out.queries;
      out.warm += warm;
      out.novel += novel;
      in_ceiling += is_candidate;
      cold_venue += !venue_seen;
      cold_user += !user_seen;
      candidates_total += static_cast<int64_t>(candidates.size());
      for (size_t m = 0; m < methods.size(); ++m) {
        const auto t0 = Clock::now();
        methods[m]->Rank(q, candidates, top);
        out.methods[m].seconds += std::chrono::duration<double>(Clock::now() - t0).count();
        int rank = 0;
        if (is_candidate) {
          for (size_t r = 0; r < top.size() && r < 10; ++r) {
            if (top[r] == row.venue) rank = static_cast<int>(r) + 1;
          }
        }
        MethodResult& res = out.methods[m];
        res.all.Add(rank);
        if (warm) res.warm.Add(rank);
        if (novel) res.novel.Add(rank);
        window_hits[m] += rank > 0;
        if (out.queries % kWindow == 0) {
          res.rolling_hr10.push_back(static_cast<double>(window_hits[m]) / kWindow);
          window_hits[m] = 0;
        }
      }
    }
    state.Reveal(row);
    for (size_t m = 0; m < methods.size(); ++m) {
      const auto t0 = Clock::now();
      methods[m]->Reveal(row, i);
      out.methods[m].seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    if (progress && (i % 512 == 0 || i + 1 == n)) progress(i + 1, n);
  }
  for (size_t m = 0; m < methods.size(); ++m) out.methods[m].notes = methods[m]->Notes();
  if (out.queries > 0) {
    const double q = static_cast<double>(out.queries);
    out.ceiling = static_cast<double>(in_ceiling) / q;
    out.cold_venue = static_cast<double>(cold_venue) / q;
    out.cold_user = static_cast<double>(cold_user) / q;
    out.mean_candidates = static_cast<double>(candidates_total) / q;
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace locus::eval
