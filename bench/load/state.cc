// state: memory and restart, on one state built once.
//   1. A child process ingests N events (places first) through the engine's ingest path
//      (Engine::HandleEvent: decode, validate, apply, flush to RocksDB by size or age), then
//      reports its peak RSS and the store's size on disk, and keeps ingesting.
//   2. The parent SIGKILLs it mid-work, then times opening the store (RocksDB recovery),
//      loading the model from it (Engine::Open) and answering one in-process recommend.
#include "bench/load/tools.h"
#include "src/codec/messages.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace locus::bench {
namespace {

[[noreturn]] void Child(const Args& args, const std::string& dir, int out_fd) {
  const int64_t events = args.Int("events", 1000000);
  const int64_t places = args.Int("places", 100000), users = args.Int("users", 100000);
  auto w = MakeWorkload(args, places, users, events, static_cast<int>(args.Int("activities", 0)));
  auto engine = OpenEngine(dir);
  int64_t offset = 0;
  for (const Place& p : w->places()) {
    engine->HandlePlace("locus.places", 0, offset++, p.id.str(), EncodePlace(p));
  }
  if (!engine->Flush().ok()) _exit(1);
  const int64_t rss_places = CurrentRssBytes();
  const auto t = Clock::now();
  int64_t n = 0;
  auto ingest = [&](int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      engine->HandleEvent("locus.events", 0, n++, EncodeEvent(w->Next()));
      if (engine->FlushDue() && !engine->Flush().ok()) _exit(1);
    }
  };
  // The resident size half way and at the end: the growth per event between them is what
  // `bench/report.py` projects to the target's 50M events (the first half pays for the
  // users' and places' first entries, the second mostly for what events add).
  ingest(events / 2);
  if (!engine->Flush().ok()) _exit(1);
  const int64_t rss_half = CurrentRssBytes();
  ingest(events - events / 2);
  if (!engine->Flush().ok()) _exit(1);
  const int64_t rss_end = CurrentRssBytes();
  const double ingest_s = Since(t);
  const double rocksdb = static_cast<double>(DirBytes(dir));
  const int64_t fav = w->FavouriteActivity(0, 0);
  const std::string line =
      JsonLine()
          .Add("rss_gib", static_cast<double>(PeakRssBytes()) / kGiB)
          .Add("rss_after_places_gib", static_cast<double>(rss_places) / kGiB)
          .Add("rss_half_events_gib", static_cast<double>(rss_half) / kGiB)
          .Add("rss_end_gib", static_cast<double>(rss_end) / kGiB)
          .Add("rocksdb_gib", rocksdb / kGiB)
          .Add("events", events)
          .Add("places", places)
          .Add("users", users)
          .Add("users_with_history",
               engine->WithModel([](const Model& m) { return m.user_count(); }))
          .Add("engine_events_per_s", static_cast<double>(events) / ingest_s)
          .str() +
      "\n" + w->activities()[static_cast<size_t>(fav)] + "\n";
  if (write(out_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(1);
  for (;;) ingest(1000);  // busy with the next batch when the kill comes
}

}  // namespace

int StateTool(const Args& args) {
  TempDir dir;
  const std::string state = dir.path + "/state";
  int fds[2];
  if (pipe(fds) != 0) return 1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Child(args, state, fds[1]);
  }
  close(fds[1]);
  std::string got;
  char buf[4096];
  for (ssize_t r; (r = read(fds[0], buf, sizeof buf)) > 0;) {
    got.append(buf, static_cast<size_t>(r));
    if (std::count(got.begin(), got.end(), '\n') >= 2) break;
  }
  if (std::count(got.begin(), got.end(), '\n') < 2) {
    std::fprintf(stderr, "state: the child failed\n");
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  const std::string memory = got.substr(0, got.find('\n'));
  const std::string activity = got.substr(got.find('\n') + 1, got.rfind('\n') - got.find('\n') - 1);
  if (const std::string keep = args.Str("keep", ""); !keep.empty()) {
    // The killed state as it is, untouched by a reopen, for `locus_load reopen --from`.
    std::filesystem::remove_all(keep);
    std::filesystem::create_directories(keep);
    std::filesystem::copy(state, keep + "/state", std::filesystem::copy_options::recursive);
    std::ofstream(keep + "/activity") << activity;
  }

  const TimedRestart restart = RestartAndAnswer(state, activity);
  const auto& [engine, a, open_s, load_s, ready_s] = restart;
  const int64_t recovered = engine->WithModel([](const Model& m) { return m.events_applied(); });
  const int64_t events = args.Int("events", 1000000);
  std::printf("%s\n",
              JsonLine()
                  .Add("tool", std::string("state"))
                  .Raw("memory", memory)
                  .Raw("restart", JsonLine()
                                      .Add("ready_s", ready_s)
                                      .Add("open_s", open_s)
                                      .Add("load_s", load_s - open_s)
                                      .Add("events", events)
                                      .Add("events_recovered", recovered)
                                      .Add("answer_ok", a.ok && !a.items.empty())
                                      .Add("killed_by_sigkill",
                                           WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                                      .str())
                  .Raw("machine", MachineJson())
                  .str()
                  .c_str());
  std::fprintf(stderr,
               "state: memory %s\nstate: after SIGKILL with %lld events applied: store open "
               "%.3f s, model loaded %.3f s, first answer (%s, %zu items) at %.3f s\n",
               memory.c_str(), static_cast<long long>(recovered), open_s, load_s - open_s,
               activity.c_str(), a.items.size(), ready_s);
  return a.ok ? 0 : 1;
}

}  // namespace locus::bench
