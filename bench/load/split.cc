// split: what scale-out costs and saves per instance (issue 8), in process, on the core.
// - The by-place topic: each workload event is applied as a scaled instance applies it
//   (Model::ApplyUser, then the fact encoded once per by-place partition owning a row it
//   changes, FactDestinations over `partitions`); reports records and bytes per event and the
//   time to encode, decode and filter a fact.
// - Per-user state: the bytes the allocator holds for users (history, profile, BPR vector),
//   from mallinfo2 before and after Model::DropUsers, in all and for one instance's share when
//   `instances` split the partitions.
#include "bench/load/tools.h"
#include "src/core/fact_log.h"
#include "src/core/partitioner.h"

#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <set>

namespace locus::bench {
namespace {

// Bytes the allocator has handed out and not had back.
double InUseBytes() {
  malloc_trim(0);
  const struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd);
}

}  // namespace

int SplitTool(const Args& args) {
  const int64_t places = args.Int("places", 200000), users = args.Int("users", 1000000);
  const int64_t events = args.Int("events", 3000000);
  const int activities = static_cast<int>(args.Int("activities", 500));
  const auto partitions = static_cast<int32_t>(args.Int("partitions", 12));
  const auto instances = static_cast<int32_t>(args.Int("instances", 3));
  auto w = MakeWorkload(args, places, users, events, activities);
  ModelOptions mo;
  mo.retrain_every_days = 0;
  Model model(mo);
  model.set_track_changes(false);
  for (const Place& p : w->places()) model.UpsertPlace(p);

  EventFact fact;
  int64_t records = 0, bytes = 0, applied = 0;
  double fact_s = 0;
  std::vector<FactFilter> filters(static_cast<size_t>(partitions));
  auto t = Clock::now();
  for (int64_t i = 0; i < events; ++i) {
    const Event e = w->Next();
    if (!model.ApplyUser(e, fact).ok()) continue;
    model.ApplyFact(fact);
    ++applied;
    // The repartition step: encode once, send to each owning partition, where the owner
    // decodes it and filters it by source offset.
    const auto f0 = Clock::now();
    const FactSource source{KafkaPartition(e.user.str(), partitions), i};
    const std::string value = EncodeFact(fact, source);
    for (int32_t q : FactDestinations(fact, partitions)) {
      ++records;
      bytes += static_cast<int64_t>(value.size() + fact.place.str().size());
      auto decoded = DecodeFact(value);
      if (decoded && filters[static_cast<size_t>(q)].Accept(decoded->second)) {
        // The owner would apply it here (ApplyFact with its RowOwner), as above.
      }
    }
    fact_s += Since(f0);
  }
  const double apply_s = Since(t);

  const double with_users = InUseBytes();
  std::set<int32_t> kept;  // one instance's events partitions
  for (int32_t p = 0; p < partitions; p += instances) kept.insert(p);
  model.DropUsers(
      [&](const UserId& u) { return !kept.contains(KafkaPartition(u.str(), partitions)); });
  const double one_instance = InUseBytes();
  model.DropUsers([](const UserId&) { return true; });
  const double without_users = InUseBytes();
  const double all_users = with_users - without_users;
  const double share = one_instance - without_users;
  const double gib = 1024.0 * 1024 * 1024;

  std::printf("%s\n", JsonLine()
                          .Add("tool", std::string("split"))
                          .Add("events", applied)
                          .Add("places", places)
                          .Add("users", users)
                          .Add("partitions", static_cast<int64_t>(partitions))
                          .Add("instances", static_cast<int64_t>(instances))
                          .Add("fact_records_per_event",
                               static_cast<double>(records) / static_cast<double>(applied))
                          .Add("fact_bytes_per_event",
                               static_cast<double>(bytes) / static_cast<double>(applied))
                          .Add("fact_us_per_event", 1e6 * fact_s / static_cast<double>(applied))
                          .Add("apply_us_per_event", 1e6 * apply_s / static_cast<double>(applied))
                          .Add("user_state_gib", all_users / gib)
                          .Add("user_state_gib_per_instance", share / gib)
                          .Add("user_state_bytes_per_user", all_users / static_cast<double>(users))
                          .Add("shared_state_gib", without_users / gib)
                          .Raw("machine", MachineJson())
                          .str()
                          .c_str());
  std::fprintf(stderr,
               "split: %lld events, %lld places, %lld users, %d partitions\n"
               "split: by-place topic: %.2f records and %.0f bytes per event; encode + decode + "
               "filter %.2f us per event (apply itself %.2f us)\n"
               "split: per-user state %.3f GiB in all (%.0f bytes a user); one of %d instances "
               "holds %.3f GiB of it; rows and places (every instance) %.3f GiB\n",
               static_cast<long long>(applied), static_cast<long long>(places),
               static_cast<long long>(users), partitions,
               static_cast<double>(records) / static_cast<double>(applied),
               static_cast<double>(bytes) / static_cast<double>(applied),
               1e6 * fact_s / static_cast<double>(applied),
               1e6 * apply_s / static_cast<double>(applied), all_users / gib,
               all_users / static_cast<double>(users), instances, share / gib, without_users / gib);
  return 0;
}

}  // namespace locus::bench
