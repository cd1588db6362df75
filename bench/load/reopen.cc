// reopen: the restart half of `state`, repeatable, on a state kept by `state --keep DIR` (a
// store as a SIGKILL left it). Each run copies DIR/state to a fresh directory (a reopen
// changes the files: it writes a new WAL), then times StateStore::Open, Engine::Open and one
// recommend, as `state` does. It then answers `--queries` more (users 0.., every activity of
// the model in turn, k=10) and prints their digest: a change to the load must leave it equal.
#include "bench/load/tools.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace locus::bench {
namespace {

// FNV-1a over the answers' place ids, scores (bits), distances and reasons.
void MixAnswer(const Answer& a, uint64_t& digest) {
  auto mix = [&](const void* data, size_t n) {
    for (size_t b = 0; b < n; ++b) {
      digest = (digest ^ static_cast<const unsigned char*>(data)[b]) * 0x100000001B3ULL;
    }
  };
  for (const ScoredPlace& item : a.items) {
    mix(item.place.str().data(), item.place.str().size());
    mix(&item.score, sizeof item.score);
    const double d = item.distance_km.value_or(-1);
    mix(&d, sizeof d);
    for (const std::string& reason : item.reasons) mix(reason.data(), reason.size() + 1);
  }
}

}  // namespace

int ReopenTool(const Args& args) {
  const std::string from = args.Str("from", "");
  if (from.empty() || !std::filesystem::exists(from + "/state")) {
    std::fprintf(stderr, "reopen: --from DIR (kept by `state --keep DIR`) is required\n");
    return 2;
  }
  std::stringstream activity_text;
  activity_text << std::ifstream(from + "/activity").rdbuf();
  const std::string activity = activity_text.str();
  const int64_t repeat = args.Int("repeat", 1), queries = args.Int("queries", 1000);
  for (int64_t run = 0; run < repeat; ++run) {
    TempDir dir;
    const std::string state = dir.path + "/state";
    std::filesystem::copy(from + "/state", state, std::filesystem::copy_options::recursive);
    const auto t = Clock::now();
    auto store = StateStore::Open(state);
    if (!store.ok()) Check(store.status(), "reopening the store");
    const double open_s = Since(t);
    auto engine = Engine::Open(EngineOptions{}, std::move(*store));
    if (!engine.ok()) Check(engine.status(), "loading the engine");
    const double load_s = Since(t);
    Query q;
    q.request_id = "restart";
    q.activity_text = activity;
    q.user = UserId(Workload::UserName(0));
    q.k = 10;
    const Answer first = (*engine)->Recommend(q);
    const double ready_s = Since(t);

    std::vector<std::string> activities = (*engine)->WithModel([](const Model& m) {
      std::vector<std::string> names;
      for (const auto& [a, stats] : m.activity_stats()) names.push_back(a.str());
      return names;
    });
    std::sort(activities.begin(), activities.end());
    uint64_t digest = 0xCBF29CE484222325ULL;
    MixAnswer(first, digest);
    for (int64_t i = 0; i < queries && !activities.empty(); ++i) {
      q.activity_text = activities[static_cast<size_t>(i) % activities.size()];
      q.user = UserId(Workload::UserName(i));
      MixAnswer((*engine)->Recommend(q), digest);
    }
    const int64_t recovered =
        (*engine)->WithModel([](const Model& m) { return m.events_applied(); });
    std::printf("%s\n", JsonLine()
                            .Add("tool", std::string("reopen"))
                            .Add("ready_s", ready_s)
                            .Add("open_s", open_s)
                            .Add("load_s", load_s - open_s)
                            .Add("events_recovered", recovered)
                            .Add("answer_ok", first.ok && !first.items.empty())
                            .Add("answers_digest", std::to_string(digest))
                            .Raw("machine", MachineJson())
                            .str()
                            .c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace locus::bench
