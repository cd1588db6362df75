// state: memory and restart, on one state built once.
//   1. A child process ingests N events (places first) through the engine's ingest path
//      (Engine::HandleEvent: decode, validate, apply, flush to RocksDB by size or age), then
//      reports its peak RSS (and its course: RSS and peak every --every events) and the
//      store's size on disk, and keeps ingesting. The parent
//      generates the workload and writes it to the child through a pipe, so the child's
//      resident size is the engine's alone (the generator's places and users, ~0.4 GiB at 1M
//      each, were counted in it when the child generated them itself).
//   2. The parent SIGKILLs it mid-work, then times opening the store (RocksDB recovery),
//      loading the model from it (Engine::Open) and answering one in-process recommend.
#include "bench/load/tools.h"
#include "src/codec/messages.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace locus::bench {
namespace {

// The pipe's frames: kind ('P' a place, 'E' an event), key and value lengths (4 bytes each,
// native order: both ends are this program), key, value.
struct Frame {
  char kind = 0;
  std::string key, value;
};

bool WriteFrame(std::FILE* out, char kind, const std::string& key, const std::string& value) {
  const auto k = static_cast<uint32_t>(key.size()), v = static_cast<uint32_t>(value.size());
  return std::fwrite(&kind, 1, 1, out) == 1 && std::fwrite(&k, 4, 1, out) == 1 &&
         std::fwrite(&v, 4, 1, out) == 1 &&
         std::fwrite(key.data(), 1, key.size(), out) == key.size() &&
         std::fwrite(value.data(), 1, value.size(), out) == value.size();
}

bool ReadFrame(std::FILE* in, Frame& f) {
  uint32_t k = 0, v = 0;
  if (std::fread(&f.kind, 1, 1, in) != 1 || std::fread(&k, 4, 1, in) != 1 ||
      std::fread(&v, 4, 1, in) != 1) {
    return false;
  }
  f.key.resize(k);
  f.value.resize(v);
  return std::fread(f.key.data(), 1, k, in) == k && std::fread(f.value.data(), 1, v, in) == v;
}

[[noreturn]] void Child(const Args& args, const std::string& dir, std::FILE* in, int out_fd) {
  const int64_t events = args.Int("events", 1000000);
  const int64_t places = args.Int("places", 100000), users = args.Int("users", 100000);
  auto engine = OpenEngine(dir);
  Frame f;
  int64_t offset = 0;
  while (ReadFrame(in, f) && f.kind == 'P') {
    engine->HandlePlace("locus.places", 0, offset++, f.key, f.value);
  }
  if (f.kind != 'E' || !engine->Flush().ok()) _exit(1);
  const int64_t rss_places = CurrentRssBytes();
  const auto t = Clock::now();
  int64_t n = 0;
  // Every --every events (default a tenth of them): [events, resident, peak resident (GiB),
  // seconds], also on stderr as it goes (a long run shows its course).
  const int64_t every = std::max<int64_t>(1, args.Int("every", std::max<int64_t>(1, events / 10)));
  std::string points;
  // Applies `count` events, the first of them in `f` (read already).
  auto ingest = [&](int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      if (i > 0 && !ReadFrame(in, f)) _exit(1);
      engine->HandleEvent("locus.events", 0, n++, f.value);
      if (engine->FlushDue() && !engine->Flush().ok()) _exit(1);
      if (n % every == 0) {
        const double rss = static_cast<double>(CurrentRssBytes()) / kGiB;
        const double peak = static_cast<double>(PeakRssBytes()) / kGiB;
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s[%lld,%.4f,%.4f,%.1f]", points.empty() ? "" : ",",
                      static_cast<long long>(n), rss, peak, Since(t));
        points += buf;
        std::fprintf(stderr, "state: %lld events, RSS %.3f GiB (peak %.3f), %.0f s\n",
                     static_cast<long long>(n), rss, peak, Since(t));
      }
    }
  };
  // The resident size half way and at the end: the growth per event between them is what
  // `bench/report.py` projects to the target's 50M events (the first half pays for the
  // users' and places' first entries, the second mostly for what events add).
  ingest(events / 2);
  if (!engine->Flush().ok() || !ReadFrame(in, f)) _exit(1);
  const int64_t rss_half = CurrentRssBytes();
  ingest(events - events / 2);
  if (!engine->Flush().ok()) _exit(1);
  const int64_t rss_end = CurrentRssBytes();
  const double ingest_s = Since(t);
  const double rocksdb = static_cast<double>(DirBytes(dir));
  const StateStore::Memory store_memory = engine->store().MemoryUsage();
  const struct mallinfo2 heap = mallinfo2();
  const std::string line =
      JsonLine()
          .Add("rss_gib", static_cast<double>(PeakRssBytes()) / kGiB)
          .Add("rss_after_places_gib", static_cast<double>(rss_places) / kGiB)
          .Add("rss_half_events_gib", static_cast<double>(rss_half) / kGiB)
          .Add("rss_end_gib", static_cast<double>(rss_end) / kGiB)
          .Raw("points", "[" + points + "]")
          .Add("rocksdb_gib", rocksdb / kGiB)
          .Add("rocksdb_memtables_gib", static_cast<double>(store_memory.memtables) / kGiB)
          .Add("rocksdb_table_readers_gib", static_cast<double>(store_memory.table_readers) / kGiB)
          .Add("rocksdb_block_cache_gib", static_cast<double>(store_memory.block_cache) / kGiB)
          .Add("malloc_in_use_gib", static_cast<double>(heap.uordblks + heap.hblkhd) / kGiB)
          .Add("malloc_free_gib", static_cast<double>(heap.fordblks) / kGiB)
          .Add("malloc_mmapped_gib", static_cast<double>(heap.hblkhd) / kGiB)
          .Add("events", events)
          .Add("places", places)
          .Add("users", users)
          .Add("users_with_history",
               engine->WithModel([](const Model& m) { return m.user_count(); }))
          .Add("engine_events_per_s", static_cast<double>(events) / ingest_s)
          .Add("workload_generated_by", std::string("parent process"))
          .str() +
      "\n";
  if (write(out_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(1);
  // Busy with the next batch when the kill comes.
  for (;;) {
    if (!ReadFrame(in, f)) _exit(1);
    ingest(1);
  }
}

}  // namespace

int StateTool(const Args& args) {
  TempDir dir;
  const std::string state = dir.path + "/state";
  int results[2], work[2];
  if (pipe(results) != 0 || pipe(work) != 0) return 1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(results[0]);
    close(work[1]);
    std::FILE* in = fdopen(work[0], "rb");
    if (in == nullptr) _exit(1);
    Child(args, state, in, results[1]);
  }
  close(results[1]);
  close(work[0]);
  // The workload is made after the fork: pages shared copy-on-write would count in the
  // child's resident size too.
  const int64_t events = args.Int("events", 1000000);
  const int64_t places = args.Int("places", 100000), users = args.Int("users", 100000);
  auto w = MakeWorkload(args, places, users, events, static_cast<int>(args.Int("activities", 0)));
  const std::string activity = w->activities()[static_cast<size_t>(w->FavouriteActivity(0, 0))];
  signal(SIGPIPE, SIG_IGN);  // the child's end closes when it is killed
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::FILE* out = fdopen(work[1], "wb");
    if (out == nullptr) return;
    bool ok = true;
    for (const Place& p : w->places()) {
      ok = ok && WriteFrame(out, 'P', p.id.str(), EncodePlace(p));
    }
    while (ok && !stop.load(std::memory_order_relaxed)) {
      ok = WriteFrame(out, 'E', {}, EncodeEvent(w->Next()));
    }
    std::fclose(out);
  });
  std::string got;
  char buf[4096];
  for (ssize_t r; (r = read(results[0], buf, sizeof buf)) > 0;) {
    got.append(buf, static_cast<size_t>(r));
    if (got.find('\n') != std::string::npos) break;
  }
  const bool child_ok = got.find('\n') != std::string::npos;
  if (child_ok) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  stop = true;
  writer.join();
  close(results[0]);
  if (!child_ok) {
    std::fprintf(stderr, "state: the child failed\n");
    return 1;
  }
  const std::string memory = got.substr(0, got.find('\n'));
  if (const std::string keep = args.Str("keep", ""); !keep.empty()) {
    // The killed state as it is, untouched by a reopen, for `locus_load reopen --from`.
    std::filesystem::remove_all(keep);
    std::filesystem::create_directories(keep);
    std::filesystem::copy(state, keep + "/state", std::filesystem::copy_options::recursive);
    std::ofstream(keep + "/activity") << activity;
  }

  const TimedRestart restart = RestartAndAnswer(state, activity);
  const auto& [engine, a, open_s, load_s, ready_s, ready_cpu_s, ready_page_faults, ready_rss_gib,
               rows_s] = restart;
  const int64_t recovered = engine->WithModel([](const Model& m) { return m.events_applied(); });
  std::printf("%s\n",
              JsonLine()
                  .Add("tool", std::string("state"))
                  .Raw("memory", memory)
                  .Raw("restart", JsonLine()
                                      .Add("ready_s", ready_s)
                                      .Add("ready_cpu_s", ready_cpu_s)
                                      .Add("ready_page_faults", ready_page_faults)
                                      .Add("ready_rss_gib", ready_rss_gib)
                                      .Add("rows_s", rows_s)
                                      .Add("open_s", open_s)
                                      .Add("load_s", load_s - open_s)
                                      .Add("events", events)
                                      .Add("events_recovered", recovered)
                                      .Add("answer_ok", a.ok && !a.items.empty())
                                      .Add("killed_by_sigkill",
                                           WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                                      .Raw("load", LoadBreakdownJson(*engine))
                                      .str())
                  .Raw("machine", MachineJson())
                  .str()
                  .c_str());
  std::fprintf(stderr,
               "state: memory %s\nstate: after SIGKILL with %lld events applied: store open "
               "%.3f s, model loaded %.3f s, first answer (%s, %zu items) at %.3f s, rows read "
               "(events could be consumed) at %.3f s\n",
               memory.c_str(), static_cast<long long>(recovered), open_s, load_s - open_s,
               activity.c_str(), a.items.size(), ready_s, rows_s);
  return a.ok ? 0 : 1;
}

}  // namespace locus::bench
