// Effectively-once state (DESIGN.md "The two paths"): `locus serve` killed with SIGKILL at
// random moments while it ingests, and restarted each time on the same data directory, ends
// with exactly the state of one uninterrupted run — `locus state dump` byte for byte.
//
// Run A (uninterrupted) and run B (crashing) use separate `locus broker` processes and run
// side by side to save wall time.
#include "tests/integration/kafka/locus_processes.h"
#include "tests/integration/kafka/plain_kafka.h"
#include "tests/integration/kafka/process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace locus::itest {
namespace {

constexpr int kCheckins = 50000;
// The acceptance asks for >= 5 kills; at least this many hit an engine that holds its
// partitions (ingesting), and a few more land anywhere in start-up.
constexpr int kMinIngestKills = 5;

TEST(CrashRecoveryTest, CrashRecoveryMatchesUninterruptedRun) {
  TempDir dir;
  const std::string city = dir / "city.tsv";
  RunResult gen =
      RunToEnd({LocusBinary(), "gen-city", "--out", city, "--checkins", std::to_string(kCheckins),
                "--places", "3000", "--users", "800", "--seed", "11"},
               seconds(120), dir / "gen-city.log");
  ASSERT_EQ(gen.code, 0) << ReadFileText(dir / "gen-city.log");

  // Run A: the whole file on the broker first, then one engine until it is idle.
  std::string bootstrap_a;
  auto broker_a = StartBroker(dir, "broker-a", bootstrap_a);
  ASSERT_FALSE(bootstrap_a.empty());
  RunResult import_a = RunToEnd({LocusBinary(), "import", city, "--bootstrap", bootstrap_a,
                                 "--max-lag", "0", "--no-progress"},
                                seconds(120), dir / "import-a.log");
  ASSERT_EQ(import_a.code, 0) << ReadFileText(dir / "import-a.log");
  const std::string data_a = dir / "state-a";
  auto serve_a = StartServe(dir, bootstrap_a, data_a, "serve-a", 3);
  ASSERT_TRUE(serve_a);

  // Run B: the import runs in the background (paced by the engine's committed offsets) while
  // the engine is killed at random moments and restarted on the same directory.
  std::string bootstrap_b;
  auto broker_b = StartBroker(dir, "broker-b", bootstrap_b);
  ASSERT_FALSE(bootstrap_b.empty());
  const std::string data_b = dir / "state-b";
  GroupProbe progress_b(bootstrap_b, "locus", "locus.events");
  int spawned = 0;
  auto serve_b = StartServe(dir, bootstrap_b, data_b, "serve-b-" + std::to_string(spawned++));
  ASSERT_TRUE(serve_b);
  SpawnOptions io;
  io.stdout_path = dir / "import-b.out";
  io.stderr_path = dir / "import-b.log";
  auto import_b = Child::Spawn({LocusBinary(), "import", city, "--bootstrap", bootstrap_b,
                                "--max-lag", "1000", "--no-progress"},
                               io);
  ASSERT_TRUE(import_b);

  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int kills = 0, ingest_kills = 0;
  while (true) {
    ASSERT_LT(kills, 40) << "the import never finished\n" << import_b->Describe();
    std::string moment;
    const auto started = Clock::now();
    const bool in_startup = unit(rng) < 0.15;
    if (in_startup) {
      // Anywhere in start-up: loading state, reading places, joining the group.
      const auto wait = milliseconds(200 + static_cast<int>(unit(rng) * 2800));
      std::this_thread::sleep_for(wait);
      moment = std::to_string(wait.count()) + " ms after start";
    } else {
      // While ingesting.
      const bool assigned = AwaitAssignment(*serve_b, seconds(90));
      const auto wait = milliseconds(100 + static_cast<int>(unit(rng) * 2900));
      std::this_thread::sleep_for(wait);
      moment = std::to_string(wait.count()) + " ms after " +
               (assigned ? "assignment" : "90 s without an assignment");
    }
    ASSERT_TRUE(serve_b->running()) << "the engine stopped by itself: " << serve_b->Describe();
    const bool importing = import_b->running();
    const int64_t left = progress_b.Lag();
    serve_b->Kill();
    EXPECT_EQ(serve_b->Wait(seconds(10)), -SIGKILL);
    ++kills;
    if (!in_startup) ++ingest_kills;
    std::string loaded = serve_b->Stderr();
    const size_t at = loaded.find("state loaded: ");
    loaded = at == std::string::npos ? "" : loaded.substr(at, loaded.find('\n', at) - at);
    std::cout << "[ crash    ] SIGKILL #" << kills << " " << moment << " ("
              << std::chrono::duration_cast<milliseconds>(Clock::now() - started).count()
              << " ms up, " << left << " events not committed yet"
              << (importing ? ", import running" : "") << "; " << loaded << ")" << std::endl;
    if (ingest_kills >= kMinIngestKills && !import_b->running()) break;
    serve_b = StartServe(dir, bootstrap_b, data_b, "serve-b-" + std::to_string(spawned++));
    ASSERT_TRUE(serve_b);
  }
  ASSERT_EQ(import_b->Wait(seconds(10)), 0) << import_b->Describe();

  // The last engine finishes the work and stops once idle.
  serve_b = StartServe(dir, bootstrap_b, data_b, "serve-b-" + std::to_string(spawned++), 3);
  ASSERT_TRUE(serve_b);
  ASSERT_EQ(serve_b->Wait(seconds(600)), 0) << serve_b->Describe();
  ASSERT_EQ(serve_a->Wait(seconds(600)), 0) << serve_a->Describe();

  const std::string dump_a = Dump(dir, data_a, "dump-a");
  const std::string dump_b = Dump(dir, data_b, "dump-b");
  EXPECT_TRUE(dump_a.starts_with("events_applied " + std::to_string(kCheckins) + "\n"))
      << dump_a.substr(0, 200);
  EXPECT_TRUE(dump_b.starts_with("events_applied " + std::to_string(kCheckins) + "\n"))
      << dump_b.substr(0, 200);
  EXPECT_GT(Lines(dump_a).size(), 1000u) << "the dump holds the state, not only counters";
  EXPECT_TRUE(dump_a == dump_b) << "state after " << kills << " crashes differs from the "
                                << "uninterrupted run\n"
                                << FirstDifferences(dump_a, dump_b);
}

}  // namespace
}  // namespace locus::itest
