// The core: applying one event to the Model (the per-event learning included) and one
// Recommend call with the LearnedScorer, with warm and with cold CPU caches.
#include "bench/micro/fixture.h"

#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

namespace locus::bench {
namespace {

void BM_ApplyEvent(benchmark::State& state) {
  MicroFixture& f = MicroFixture::Get();
  for (auto _ : state) {
    state.PauseTiming();
    const Event e = f.workload->Next();  // generating it is not the core's cost
    state.ResumeTiming();
    Status s = f.model->Apply(e);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["places"] = static_cast<double>(f.model->place_count());
  state.counters["users"] = static_cast<double>(f.model->user_count());
}
BENCHMARK(BM_ApplyEvent)->Iterations(20000);

// Warm: the same query again and again (everything it touches stays in cache).
void BM_RecommendWarm(benchmark::State& state) {
  MicroFixture& f = MicroFixture::Get();
  const LearnedScorer scorer;
  const RecommendOptions options;
  const Query q = f.RandomQuery(12345);
  for (auto _ : state) benchmark::DoNotOptimize(Recommend(*f.model, scorer, q, options));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecommendWarm);

// Cold: a different user and activity each time, and 64 MiB written between calls so the
// CPU caches hold none of the model.
void BM_RecommendCold(benchmark::State& state) {
  MicroFixture& f = MicroFixture::Get();
  const LearnedScorer scorer;
  const RecommendOptions options;
  std::vector<char> junk(64 << 20);
  uint64_t r = 88172645463325252ULL;
  for (auto _ : state) {
    state.PauseTiming();
    std::memset(junk.data(), static_cast<int>(r & 0xff), junk.size());
    benchmark::ClobberMemory();
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    const Query q = f.RandomQuery(r);
    state.ResumeTiming();
    benchmark::DoNotOptimize(Recommend(*f.model, scorer, q, options));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecommendCold)->Iterations(300);

}  // namespace
}  // namespace locus::bench
