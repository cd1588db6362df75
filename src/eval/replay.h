// Protocol NV-A (EVAL.md): replay check-ins in time order; after the warm-up each check-in is
// first a query (user, activity, the user's previous position) answered from what came before,
// then revealed to every method. Methods are compared on exactly the same queries.
#pragma once

#include "src/eval/dataset.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace locus::eval {

// What the replay knows before check-in i; shared read-only with every method.
struct ReplayState {
  explicit ReplayState(const Dataset& d);
  void Reveal(const Row& row);

  const Dataset& data;
  std::vector<bool> venue_seen;
  std::vector<bool> user_seen;
  std::vector<int64_t> venue_count;                         // check-ins at the venue so far
  std::vector<std::vector<uint32_t>> by_activity;           // seen venues per (first) activity
  std::vector<std::unordered_map<uint32_t, int64_t>> mine;  // per user: venue -> check-ins
  std::vector<std::optional<GeoPoint>> last_position;       // per user: previous row's coordinates
};

struct Query {
  size_t index = 0;  // row number in the sorted stream
  uint32_t user = 0;
  uint32_t activity = 0;
  std::optional<GeoPoint> position;
  TimeMs ts = 0;
};

// A ranking method under evaluation. Rank is called before the row is revealed; Reveal after.
class Method {
 public:
  virtual ~Method() = default;
  virtual std::string name() const = 0;
  // Called once before the replay starts, with the state it maintains.
  virtual void Bind(const ReplayState& /*state*/) {}
  // Fills `top` with at most 10 venue indices from `candidates`, best first.
  virtual void Rank(const Query& query, const std::vector<uint32_t>& candidates,
                    std::vector<uint32_t>& top) = 0;
  virtual void Reveal(const Row& row, size_t index) = 0;
  // Anything worth printing after the table (e.g. learned weights).
  virtual std::string Notes() const { return {}; }
};

// The portable seeded tie-breaker: the larger value wins.
uint64_t TieBreak(uint32_t venue, uint64_t seed = 42);
uint64_t SplitMix64(uint64_t x);

// Orders candidates by descending keys (compared in order), then by TieBreak; keeps the top 10.
void TopByKeys(const std::vector<uint32_t>& candidates,
               const std::function<std::array<double, 2>(uint32_t)>& keys,
               std::vector<uint32_t>& top);

struct Metrics {
  int64_t n = 0;
  std::array<int64_t, 10> hits_at{};  // hits_at[k-1]: target within the top k
  double ndcg = 0;
  double mrr = 0;
  void Add(int rank);  // 1-based rank, 0 for a miss
  double HR(int k) const { return n ? static_cast<double>(hits_at[k - 1]) / n : 0; }
  double NDCG() const { return n ? ndcg / n : 0; }
  double MRR() const { return n ? mrr / n : 0; }
};

struct MethodResult {
  std::string name;
  Metrics all, warm, novel;
  std::vector<double> rolling_hr10;  // HR@10 over consecutive windows of queries
  double seconds = 0;
  std::string notes;
};

struct ReplayResult {
  std::string dataset;
  int64_t rows = 0, users = 0, venues = 0, activities = 0;
  int64_t queries = 0, warm = 0, novel = 0;
  double ceiling = 0, cold_venue = 0, cold_user = 0, mean_candidates = 0;
  double seconds = 0;
  std::vector<MethodResult> methods;
};

// Runs every method over the replay. `progress(done, total)` is called now and then.
ReplayResult Replay(const Dataset& data, std::vector<std::unique_ptr<Method>>& methods,
                    const std::function<void(size_t, size_t)>& progress);

}  // namespace locus::eval
