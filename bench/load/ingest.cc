// ingest: N events (and their places) are preloaded into the embedded cluster, spread over
// many partitions (it keeps ~5 MiB per partition), then read twice in the same run:
//   (a) by a bare librdkafka consumer that only counts them (the ceiling), and
//   (b) by locus: the engine's own Kafka loop (EngineLoop) consuming, decoding, validating,
//       applying (with the per-event learning) and committing state + offsets durably.
// Rates are over the first to the last event (group join and the places table excluded for
// locus: its clock starts at the first applied event and stops when the loop has committed
// its last batch).
#include "bench/load/kafka_common.h"
#include "bench/load/tools.h"
#include "consumers/engine_loop.h"

#include <atomic>
#include <cstdio>
#include <thread>

namespace locus::bench {

int IngestTool(const Args& args) {
  const int64_t events = args.Int("events", 200000);
  const int64_t places = args.Int("places", 20000), users = args.Int("users", 20000);
  const int partitions = static_cast<int>(args.Int("partitions", 64));
  auto w = MakeWorkload(args, places, users, events, static_cast<int>(args.Int("activities", 0)));
  BenchCluster c = StartCluster(partitions);
  auto t = Clock::now();
  const int64_t bytes = Preload(c, *w, events);
  const double preload_s = Since(t);
  const int64_t dropped = MaxLowWatermark(c, c.kafka.events_topic);
  if (dropped > 0) {
    std::fprintf(stderr,
                 "ingest: the cluster dropped messages (low watermark %lld): use more "
                 "partitions or fewer events\n",
                 static_cast<long long>(dropped));
    return 1;
  }

  const double raw_s = RawConsume(c, c.kafka.events_topic, events, 120);
  if (raw_s <= 0) {
    std::fprintf(stderr, "ingest: the bare consumer did not read every event\n");
    return 1;
  }

  TempDir dir;
  auto engine = OpenEngine(dir.path + "/state");
  kafka::LoopOptions lo;
  lo.kafka = c.kafka;
  lo.client = c.client;
  lo.exit_when_idle_s = 0;
  auto loop = kafka::EngineLoop::Create(*engine, lo);
  if (!loop.ok()) Check(loop.status(), "creating the engine loop");
  std::atomic<bool> stop{false}, done{false};
  std::atomic<int64_t> first_ns{0};
  std::thread watch([&] {
    while (!done.load() && engine->counters().events_applied.load() == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    first_ns = Clock::now().time_since_epoch().count();
  });
  const double cpu0 = static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
  Check((*loop)->Run(stop), "engine loop");
  const auto end = Clock::now();
  const double cpu_s = static_cast<double>(std::clock()) / CLOCKS_PER_SEC - cpu0;
  done = true;
  watch.join();
  const double locus_s =
      std::chrono::duration<double>(end - Clock::time_point(Clock::duration(first_ns.load())))
          .count();
  int64_t committed = 0;
  for (int i = 0; i < partitions; ++i) {
    committed += engine->StoredOffset(c.kafka.events_topic, i).value_or(0);
  }
  const int64_t applied = engine->counters().events_applied.load();
  const double locus_rate = static_cast<double>(events) / locus_s;
  const double raw_rate = static_cast<double>(events) / raw_s;
  std::printf("%s\n", JsonLine()
                          .Add("tool", std::string("ingest"))
                          .Add("events_per_s", locus_rate)
                          .Add("raw_consume_per_s", raw_rate)
                          .Add("ratio", locus_rate / raw_rate)
                          .Add("events", events)
                          .Add("events_applied", applied)
                          .Add("events_committed", committed)
                          .Add("places", static_cast<int64_t>(w->places().size()))
                          .Add("users", users)
                          .Add("partitions", static_cast<int64_t>(partitions))
                          .Add("event_bytes", bytes)
                          .Add("locus_s", locus_s)
                          .Add("raw_s", raw_s)
                          .Add("process_cpu_s_during_locus", cpu_s)
                          .Add("flushes", engine->counters().flushes.load())
                          .Add("retrains", engine->retrainer().completed())
                          .Add("retrain_wait_s", engine->retrainer().waited_seconds())
                          .Raw("machine", MachineJson())
                          .str()
                          .c_str());
  std::fprintf(stderr,
               "ingest: %lld events (%.1f MB) in %d partitions, preloaded in %.1f s\n"
               "ingest: bare librdkafka consumer %.0f events/s (%.2f s)\n"
               "ingest: locus consume+decode+apply+commit %.0f events/s (%.2f s; %lld applied, "
               "%lld committed, %lld flushes)\n"
               "ingest: ratio %.4f\n",
               static_cast<long long>(events), static_cast<double>(bytes) / 1e6, partitions,
               preload_s, raw_rate, raw_s, locus_rate, locus_s, static_cast<long long>(applied),
               static_cast<long long>(committed),
               static_cast<long long>(engine->counters().flushes.load()), locus_rate / raw_rate);
  return applied == events && committed == events ? 0 : 1;
}

}  // namespace locus::bench
