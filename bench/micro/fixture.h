// The shared fixture of the micro-benchmarks: a workload and a core Model built from its first
// events (built once per process, on first use). Retrains are off in it, so no benchmark
// iteration pays for an inline ALS run; bench/load measures the retrain by itself.
#pragma once

#include "bench/workload/workload.h"
#include "src/core/model.h"
#include "src/core/recommend.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace locus::bench {

struct MicroFixture {
  std::unique_ptr<Workload> workload;
  std::unique_ptr<Model> model;

  // Sizes from LOCUS_MICRO_PLACES / _USERS / _EVENTS (defaults 20k, 20k, 100k).
  static MicroFixture& Get() {
    static MicroFixture f = Make();
    return f;
  }

  // A query a user would send: one of their favourite activities, from home.
  Query RandomQuery(uint64_t r) const {
    const int64_t user = static_cast<int64_t>(r % static_cast<uint64_t>(workload->options().users));
    Query q;
    q.request_id.push_back('q');  // not = "q": GCC 12 -Wrestrict false positive at -O2
    q.activity_text = workload->activities()[static_cast<size_t>(
        workload->FavouriteActivity(user, static_cast<int>((r >> 32) % 2)))];
    q.user = UserId(Workload::UserName(user));
    q.position = workload->home(user);
    q.k = 10;
    return q;
  }

 private:
  static int64_t Env(const char* name, int64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoll(v) : fallback;
  }
  static MicroFixture Make() {
    MicroFixture f;
    WorkloadOptions o;
    o.places = Env("LOCUS_MICRO_PLACES", 20000);
    o.users = Env("LOCUS_MICRO_USERS", 20000);
    o.events = Env("LOCUS_MICRO_EVENTS", 100000);
    auto w = Workload::Create(o);
    if (!w.ok()) {
      std::fprintf(stderr, "%s\n", w.error().c_str());
      std::exit(2);
    }
    f.workload = std::move(*w);
    ModelOptions mo;
    mo.retrain_every_days = 0;
    f.model = std::make_unique<Model>(mo);
    f.model->set_track_changes(false);
    for (const Place& p : f.workload->places()) f.model->UpsertPlace(p);
    for (int64_t i = 0; i < o.events; ++i) f.model->Apply(f.workload->Next()).IgnoreError();
    return f;
  }
};

}  // namespace locus::bench
