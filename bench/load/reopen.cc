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
    const TimedRestart restart = RestartAndAnswer(state, activity);
    const auto& [engine, first, open_s, load_s, ready_s, ready_cpu_s, ready_page_faults,
                 ready_rss_gib, rows_s] = restart;

    std::vector<std::string> activities = engine->WithModel([](const Model& m) {
      std::vector<std::string> names;
      for (const auto& [a, stats] : m.activity_stats()) names.push_back(a.str());
      return names;
    });
    std::sort(activities.begin(), activities.end());
    uint64_t digest = 0xCBF29CE484222325ULL;
    MixAnswer(first, digest);
    Query q;  // as the first one, for other users and activities
    q.request_id = "restart";
    q.k = 10;
    for (int64_t i = 0; i < queries && !activities.empty(); ++i) {
      q.activity_text = activities[static_cast<size_t>(i) % activities.size()];
      q.user = UserId(Workload::UserName(i));
      MixAnswer(engine->Recommend(q), digest);
    }
    const int64_t recovered = engine->WithModel([](const Model& m) { return m.events_applied(); });
    std::printf("%s\n", JsonLine()
                            .Add("tool", std::string("reopen"))
                            .Add("ready_s", ready_s)
                            .Add("ready_cpu_s", ready_cpu_s)
                            .Add("ready_page_faults", ready_page_faults)
                            .Add("ready_rss_gib", ready_rss_gib)
                            .Add("rows_s", rows_s)
                            .Add("open_s", open_s)
                            .Add("load_s", load_s - open_s)
                            .Add("events_recovered", recovered)
                            .Add("answer_ok", first.ok && !first.items.empty())
                            .Raw("load", LoadBreakdownJson(*engine))
                            .Add("answers_digest", std::to_string(digest))
                            .Raw("machine", MachineJson())
                            .str()
                            .c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace locus::bench
