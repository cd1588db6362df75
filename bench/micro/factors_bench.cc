// Factor updates: one online BPR step (a visit against 4 negatives of the same activity, as
// Model::TrainFactors does) and one iteration of the full ALS retrain.
#include "bench/workload/workload.h"
#include "src/core/als.h"
#include "src/core/factors.h"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace locus::bench {
namespace {

void BM_BprStep(benchmark::State& state) {
  FactorModel factors;
  std::vector<UserId> users;
  std::vector<PlaceId> places;
  for (int i = 0; i < 10000; ++i) users.emplace_back("u" + std::to_string(i));
  for (int i = 0; i < 10000; ++i) places.emplace_back("p" + std::to_string(i));
  uint64_t r = 1;
  auto next = [&r] { return r = r * 6364136223846793005ULL + 1442695040888963407ULL; };
  for (auto _ : state) {
    const UserId& u = users[(next() >> 33) % users.size()];
    const PlaceId& p = places[(next() >> 33) % places.size()];
    std::vector<const PlaceId*> negatives;
    for (int k = 0; k < 4; ++k) negatives.push_back(&places[(next() >> 33) % places.size()]);
    factors.Observe(u, p, negatives);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BprStep);

// One ALS iteration (both half-steps) over users x places with pairs; args: users in
// thousands, places in thousands, pairs in thousands, factors.
void BM_AlsIteration(benchmark::State& state) {
  const Interactions data =
      SyntheticInteractions(state.range(0) * 1000, state.range(1) * 1000, state.range(2) * 1000, 7);
  AlsOptions o;
  o.factors = static_cast<int>(state.range(3));
  o.iterations = 1;
  for (auto _ : state) benchmark::DoNotOptimize(AlsModel::Train(data, o, "bench"));
  state.counters["pairs"] = static_cast<double>(data.pairs.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(data.pairs.size()));
}
BENCHMARK(BM_AlsIteration)->Args({100, 20, 760, 64})->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace locus::bench
