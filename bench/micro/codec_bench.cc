// Decoding and validating one event message (the first step of the ingest path).
#include "bench/workload/workload.h"
#include "src/codec/messages.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace locus::bench {
namespace {

std::vector<std::string> EncodedEvents(size_t n) {
  WorkloadOptions o;
  o.places = 10000;
  o.users = 10000;
  o.events = static_cast<int64_t>(n);
  auto w = Workload::Create(o);
  if (!w.ok()) std::abort();
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(EncodeEvent((*w)->Next()));
  return out;
}

void BM_DecodeEvent(benchmark::State& state) {
  static const std::vector<std::string> events = EncodedEvents(4096);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& m = events[i++ % events.size()];
    Decoded<Event> d = DecodeEvent(m);
    if (!d.ok()) state.SkipWithError(d.error.c_str());
    benchmark::DoNotOptimize(d);
    bytes += m.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeEvent);

void BM_EncodeEvent(benchmark::State& state) {
  WorkloadOptions o;
  o.events = 4096;
  auto w = Workload::Create(o);
  if (!w.ok()) std::abort();
  std::vector<Event> events;
  for (int i = 0; i < 4096; ++i) events.push_back((*w)->Next());
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(EncodeEvent(events[i++ % events.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeEvent);

}  // namespace
}  // namespace locus::bench
