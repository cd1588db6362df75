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
  // 10k users' and 10k places' vectors, as the model keeps them (the users' in their state,
  // the places' in slots by number).
  FactorModel factors;
  std::vector<FactorModel::PackedVector> users;
  for (int i = 0; i < 10000; ++i)
    users.emplace_back(FactorModel::UserStart(UserId("u" + std::to_string(i))));
  constexpr uint32_t kPlaces = 10000;
  for (uint32_t i = 0; i < kPlaces; ++i) factors.PlaceOrStart(i, PlaceId("p" + std::to_string(i)));
  auto place = [&](uint32_t n) -> FactorModel::PackedVector& {
    return const_cast<FactorModel::PackedVector&>(*factors.Place(n));
  };
  uint64_t r = 1;
  auto next = [&r] { return r = r * 6364136223846793005ULL + 1442695040888963407ULL; };
  std::vector<FactorModel::PackedVector*> negatives;
  for (auto _ : state) {
    FactorModel::PackedVector& u = users[(next() >> 33) % users.size()];
    FactorModel::PackedVector& p = place(static_cast<uint32_t>((next() >> 33) % kPlaces));
    negatives.clear();
    for (int k = 0; k < 4; ++k)
      negatives.push_back(&place(static_cast<uint32_t>((next() >> 33) % kPlaces)));
    FactorModel::Observe(u, p, negatives);
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
