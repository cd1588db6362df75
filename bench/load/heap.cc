// heap: what the model itself holds as events accumulate. Applies N events (places first)
// straight to a Model, with no Kafka and no RocksDB: changes go to a writer that drops them
// every 5,000 events, as the engine's flush would write them. Reports the heap in use
// (glibc's mallinfo2) after the places and at every --every events, and the growth per 1M
// events over the last step. RSS (the `state` tool) adds the allocator's free lists, RocksDB's
// memtables and block cache and librdkafka's buffers; this separates the model's own part, and
// reaches sizes the engine's ingest rate does not within a run of bench/run.
#include "bench/load/tools.h"
#include "src/core/model.h"

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

namespace locus::bench {
namespace {

class DroppingWriter final : public StateWriter {
 public:
  void Put(Space, std::string_view, std::string_view) override {}
  void Delete(Space, std::string_view) override {}
};

double HeapGiB() { return static_cast<double>(mallinfo2().uordblks) / kGiB; }

}  // namespace

int HeapTool(const Args& args) {
  const int64_t events = args.Int("events", 2000000);
  const int64_t every = std::max<int64_t>(1, args.Int("every", 500000));
  const int64_t places = args.Int("places", 1000000), users = args.Int("users", 1000000);
  auto w = MakeWorkload(args, places, users, events, static_cast<int>(args.Int("activities", 500)));
  const double base = HeapGiB();
  ModelOptions options;
  options.retrain_every_days = 0;  // the retrain's own memory is the retrain tool's
  Model model(options);
  for (const Place& p : w->places()) model.UpsertPlace(p);
  const double after_places = HeapGiB() - base;
  DroppingWriter sink;
  std::string points;
  double previous = after_places, growth = 0;
  const auto t = Clock::now();
  for (int64_t i = 1; i <= events; ++i) {
    (void)model.Apply(w->Next());
    if (i % 5000 == 0 || i == events) model.Persist(sink);
    if (i % every == 0 || i == events) {
      const double heap = HeapGiB() - base;
      const int64_t step = i % every == 0 ? every : i % every;
      growth = (heap - previous) / static_cast<double>(step) * 1e6;
      previous = heap;
      points +=
          (points.empty() ? "[" : ",[") + std::to_string(i) + "," + std::to_string(heap) + "]";
      std::fprintf(stderr, "heap: %lld events, %.3f GiB (%+.3f GiB per 1M events over the step)\n",
                   static_cast<long long>(i), heap, growth);
    }
  }
  const double seconds = Since(t);
  std::printf("%s\n", JsonLine()
                          .Add("tool", std::string("heap"))
                          .Add("events", events)
                          .Add("places", places)
                          .Add("users", users)
                          .Add("users_with_history", model.user_count())
                          .Add("heap_after_places_gib", after_places)
                          .Add("heap_gib", previous)
                          .Add("growth_last_step_gib_per_m_events", growth)
                          .Raw("points", "[" + points + "]")
                          .Add("model_events_per_s", static_cast<double>(events) / seconds)
                          .Raw("machine", MachineJson())
                          .str()
                          .c_str());
  return 0;
}

}  // namespace locus::bench
