// heap: what the model itself holds as events accumulate. Applies N events (places first)
// straight to a Model, with no Kafka and no RocksDB: changes go to a writer that drops them
// every 5,000 events, as the engine's flush would write them, counting the stored entries and
// bytes each space gets per event. Reports the heap in use
// (glibc's mallinfo2) after the places and at every --every events, and the growth per 1M
// events over the last step. RSS (the `state` tool) adds the allocator's free lists, RocksDB's
// memtables and block cache and librdkafka's buffers; this separates the model's own part, and
// reaches sizes the engine's ingest rate does not within a run of bench/run.
#include "bench/load/tools.h"
#include "src/core/model.h"

#include <malloc.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <string_view>

namespace locus::bench {
namespace {

// Drops every change, counting the entries and bytes each space would be written.
class DroppingWriter final : public StateWriter {
 public:
  void Put(Space space, std::string_view key, std::string_view value) override {
    Count& c = counts_[static_cast<size_t>(space)];
    ++c.entries;
    c.bytes += key.size() + value.size();
  }
  void Delete(Space space, std::string_view key) override { Put(space, key, {}); }
  // {"space": [entries, bytes] per event, ...} over `events`.
  std::string PerEventJson(int64_t events) const {
    std::string out;
    for (Space space : kAllSpaces) {
      const Count& c = counts_[static_cast<size_t>(space)];
      char buf[128];
      std::snprintf(buf, sizeof buf, "%s\"%s\":[%.3f,%.1f]", out.empty() ? "{" : ",",
                    SpaceName(space), static_cast<double>(c.entries) / static_cast<double>(events),
                    static_cast<double>(c.bytes) / static_cast<double>(events));
      out += buf;
    }
    return out + "}";
  }

 private:
  struct Count {
    int64_t entries = 0, bytes = 0;
  };
  std::array<Count, std::size(kAllSpaces)> counts_{};
};

double HeapGiB() { return static_cast<double>(mallinfo2().uordblks) / kGiB; }

// What the rows that grow with events hold: {"entries", "largest", "in_rows_over_1k",
// "heap_gib"} of the co-visit and the transition rows, and the user-place entries of all
// histories with the heap their arrays take.
std::string RowsJson(const Model& model) {
  auto rows = [&](auto row_at) {
    int64_t entries = 0, largest = 0, over_1k = 0, bytes = 0;
    for (uint32_t n = 0; n < model.place_count(); ++n) {
      const Model::PlaceCounts* row = row_at(n);
      const int64_t size = row != nullptr ? static_cast<int64_t>(row->size()) : 0;
      bytes += row != nullptr ? static_cast<int64_t>(row->heap_bytes()) : 0;
      entries += size;
      largest = std::max(largest, size);
      if (size > 1000) over_1k += size;
    }
    return "{\"entries\":" + std::to_string(entries) + ",\"largest\":" + std::to_string(largest) +
           ",\"in_rows_over_1k\":" + std::to_string(over_1k) +
           ",\"heap_gib\":" + std::to_string(static_cast<double>(bytes) / kGiB) + "}";
  };
  int64_t history = 0, history_bytes = 0;
  for (const auto& [user, state] : model.users()) {
    history += static_cast<int64_t>(state.history.size());
    history_bytes += static_cast<int64_t>(state.history.capacity() * sizeof(UserPlaceEntry));
  }
  return "{\"covisits\":" + rows([&](uint32_t n) { return model.CoVisits(n); }) +
         ",\"transitions\":" + rows([&](uint32_t n) { return model.TransitionsFrom(n); }) +
         ",\"history_entries\":" + std::to_string(history) +
         ",\"history_heap_gib\":" + std::to_string(static_cast<double>(history_bytes) / kGiB) + "}";
}

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
                          .Raw("written_per_event", sink.PerEventJson(events))
                          .Raw("rows", RowsJson(model))
                          .Raw("machine", MachineJson())
                          .str()
                          .c_str());
  return 0;
}

}  // namespace locus::bench
