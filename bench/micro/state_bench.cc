// One durable state batch: N entries (shaped like a flush's counters and vectors) and an
// offset, committed in one RocksDB WriteBatch with the WAL on.
#include "state/state_store.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace locus::bench {
namespace {

void BM_StateBatchWrite(benchmark::State& state) {
  std::string dir = (std::filesystem::temp_directory_path() / "locus_micro_XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) std::abort();
  {
    auto store = StateStore::Open(dir + "/state");
    if (!store.ok()) std::abort();
    const std::string value(48, 'v');
    int64_t n = 0, bytes = 0;
    for (auto _ : state) {
      StateStore::Batch batch;
      for (int64_t i = 0; i < state.range(0); ++i) {
        const std::string key = "Coffee Shop\x1fp" + std::to_string(n++ % 1000000);
        batch.Put(Space::kActivityPlace, key, value);
        bytes += static_cast<int64_t>(key.size() + value.size());
      }
      batch.SetOffset("locus.events", 0, n);
      Status s = (*store)->Commit(batch);
      if (!s.ok()) state.SkipWithError(s.message().c_str());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetBytesProcessed(bytes);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StateBatchWrite)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace locus::bench
