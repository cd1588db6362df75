// Acceptance (3): MariaDB goes away while events flow. Ingestion is unaffected, no partial
// snapshot is ever visible (not even one cut off half-way through its INSERTs), the snapshot
// thread retries with back-off, and the first snapshot after MariaDB returns is complete and
// matches the state. "Going away" is a proxy in front of the real server that drops every
// connection and refuses new ones, so other tests sharing the server are not disturbed.
#include "snapshot/content.h"
#include "snapshot/periodic.h"
#include "tests/integration/mysql/mysql_fixture.h"
#include "tests/integration/mysql/tcp_proxy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace locus {
namespace {

using test_support::FillCity;
using test_support::MakePlace;
using test_support::MakeVisit;
using test_support::MysqlTest;
using test_support::TcpProxy;
using test_support::TestEngine;

// Waits (generously: this is not a timing assertion) until `done` holds.
bool WaitFor(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class SnapshotOutageTest : public MysqlTest {
 protected:
  // Nothing of a snapshot that is not complete is visible, in any table.
  void ExpectOnlyCompleteSnapshotsVisible() {
    EXPECT_EQ(Int("SELECT COUNT(*) FROM snapshots WHERE complete = 0"), 0);
    for (const char* table : {"snapshot_offsets", "places", "activities", "activity_place_scores",
                              "place_neighbours", "user_activity_stats", "engine_stats"}) {
      EXPECT_EQ(Int(std::string("SELECT COUNT(*) FROM ") + table +
                    " WHERE snapshot_id NOT IN (SELECT id FROM snapshots WHERE complete = 1)"),
                0)
          << table;
    }
    EXPECT_EQ(Int("SELECT COUNT(*) FROM daily_leaders WHERE snapshot_id NOT IN "
                  "(SELECT id FROM snapshots WHERE complete = 1)"),
              0);
  }
};

TEST_F(SnapshotOutageTest, IngestionGoesOnAndNoPartialSnapshotIsEverVisible) {
  auto proxy = TcpProxy::Start(mysql().host, mysql().port);
  MysqlConfig via_proxy = mysql();
  via_proxy.port = proxy->port();

  TestEngine city;
  // Long names make each snapshot a few hundred KB, so it can be cut mid-transfer.
  const std::string padding(240, 'x');
  for (int i = 0; i < 1500; ++i) {
    city.AddPlace(MakePlace("q" + std::to_string(i), "Place " + std::to_string(i) + padding,
                            {i % 2 ? "Bar" : "Coffee Shop"}));
  }
  FillCity(city, 30, 500);

  snapshot::PeriodicOptions periodic;
  periodic.interval_s = 3600;  // snapshots happen when the test triggers them
  periodic.initial_backoff_s = 0.05;
  periodic.max_backoff_s = 0.2;
  auto snapshots =
      snapshot::PeriodicSnapshots::Start(SnapshotterFor(via_proxy), city.views(), periodic);
  const snapshot::SnapshotCounters& counters = snapshots->counters();

  // A first snapshot while all is well.
  snapshots->TriggerNow();
  ASSERT_TRUE(WaitFor([&] { return counters.snapshots_written == 1; }));
  const int64_t first = counters.last_snapshot_id;
  ExpectOnlyCompleteSnapshotsVisible();

  // MariaDB vanishes in the middle of the next snapshot's INSERTs.
  proxy->CutAfterClientBytes(100'000);
  for (int i = 0; i < 200; ++i)
    city.AddEvent(MakeVisit("u" + std::to_string(i % 7), "p3", 1'800'000'000'000 + i));
  city.Flush();
  snapshots->TriggerNow();
  ASSERT_TRUE(WaitFor([&] { return counters.snapshot_failures >= 1; }));
  EXPECT_FALSE(proxy->up());
  ExpectOnlyCompleteSnapshotsVisible();
  EXPECT_EQ(Int("SELECT MAX(id) FROM snapshots"), first);
  EXPECT_EQ(Int("SELECT MIN(snapshot_id) FROM v_top_places"), first);

  // While it is away, events keep flowing and committing, and the retries keep failing.
  const int64_t applied_before = city.engine().counters().events_applied;
  for (int round = 0; round < 5; ++round) {
    const int64_t failures = counters.snapshot_failures;
    for (int i = 0; i < 300; ++i) {
      city.AddEvent(MakeVisit("u" + std::to_string(i % 11), "p" + std::to_string(i % 30),
                              1'800'000'100'000 + round * 1000 + i));
    }
    city.Flush();
    ASSERT_TRUE(WaitFor([&] { return counters.snapshot_failures > failures; }));
  }
  EXPECT_EQ(city.engine().counters().events_applied - applied_before, 1500);
  EXPECT_EQ(city.engine().counters().events_rejected, 0);
  EXPECT_TRUE(counters.failing);
  EXPECT_EQ(counters.snapshots_written, 1);
  ExpectOnlyCompleteSnapshotsVisible();

  // MariaDB returns: the next retry writes a complete snapshot of the state as it is now.
  const int64_t events_now =
      city.engine().WithModel([](const Model& m) { return m.events_applied(); });
  proxy->SetUp(true);
  ASSERT_TRUE(WaitFor([&] { return counters.snapshots_written == 2; }));
  EXPECT_FALSE(counters.failing);
  const int64_t latest = counters.last_snapshot_id;
  EXPECT_GT(latest, first);
  EXPECT_EQ(Int("SELECT complete FROM snapshots WHERE id = ?", {latest}), 1);
  EXPECT_EQ(Int("SELECT events_applied FROM snapshots WHERE id = ?", {latest}), events_now);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM places WHERE snapshot_id = ?", {latest}), 1530);
  EXPECT_EQ(Int("SELECT MIN(snapshot_id) FROM v_top_places"), latest);
  auto expected = snapshot::BuildContent(*city.engine().store().ConsistentView(), {});
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(Value("SELECT content_hash FROM snapshots WHERE id = ?", {latest}), expected->hash);
  ExpectOnlyCompleteSnapshotsVisible();
  snapshots->Stop();
}

TEST_F(SnapshotOutageTest, AServerThatIsNeverThereOnlyCountsFailures) {
  // A closed port: take one from the proxy and stop it.
  MysqlConfig nowhere = mysql();
  {
    auto proxy = TcpProxy::Start(mysql().host, mysql().port);
    nowhere.port = proxy->port();
  }
  TestEngine city;
  FillCity(city, 30, 200);
  snapshot::PeriodicOptions periodic;
  periodic.interval_s = 0.05;
  periodic.initial_backoff_s = 0.01;
  periodic.max_backoff_s = 0.02;
  auto snapshots =
      snapshot::PeriodicSnapshots::Start(SnapshotterFor(nowhere), city.views(), periodic);
  ASSERT_TRUE(WaitFor([&] { return snapshots->counters().snapshot_failures >= 3; }));
  for (int i = 0; i < 100; ++i) city.AddEvent(MakeVisit("u1", "p2", 1'800'000'000'000 + i));
  city.Flush();
  snapshots->Stop();
  EXPECT_EQ(snapshots->counters().snapshots_written, 0);
  EXPECT_EQ(city.engine().counters().events_applied, 300);
}

}  // namespace
}  // namespace locus
