// Acceptance (2): the same state snapshotted twice gives identical rows under two ids; and
// pruning keeps mysql.keep_snapshots complete snapshots.
#include "snapshot/snapshotter.h"
#include "tests/integration/mysql/mysql_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace locus {
namespace {

using test_support::FillCity;
using test_support::MakeVisit;
using test_support::MysqlTest;
using test_support::TestEngine;

// Each snapshot table with its columns except snapshot_id, in key order.
const std::pair<const char*, const char*> kTables[] = {
    {"snapshot_offsets", "topic, `partition`, next_offset ORDER BY topic, `partition`"},
    {"places",
     "place_id, name, lat, lon, activities, tags, visits, clicks, users ORDER BY place_id"},
    {"activities", "* ORDER BY activity"},
    {"activity_place_scores", "* ORDER BY activity, `rank`"},
    {"place_neighbours", "* ORDER BY place_id, `rank`"},
    {"user_activity_stats", "* ORDER BY activity"},
    {"user_place_history", "* ORDER BY user_id, activity, place_id"},
    {"engine_stats", "name, value ORDER BY name"},
};

class SnapshotIdempotenceTest : public MysqlTest {
 protected:
  // The rows of one snapshot in `table`, without the snapshot_id column.
  std::vector<snapshot::SqlRow> RowsOf(const std::string& table, const std::string& select,
                                       int64_t id) {
    auto rows = Rows("SELECT " + select.substr(0, select.find(" ORDER BY")) + " FROM " + table +
                         " WHERE snapshot_id = ?" + select.substr(select.find(" ORDER BY")),
                     {id});
    if (select.starts_with("*")) {
      for (auto& row : rows) row.erase(row.begin());  // snapshot_id is the first column
    }
    return rows;
  }
};

TEST_F(SnapshotIdempotenceTest, SameStateGivesIdenticalRowsUnderTwoIds) {
  TestEngine city;
  FillCity(city, 60, 2000);
  snapshot::SnapshotterOptions options = SnapshotterFor(mysql());
  options.mysql.export_user_rows = true;  // compare per-user rows too
  snapshot::Snapshotter snapshotter(options);
  auto first = snapshotter.Snapshot(city.views());
  ASSERT_TRUE(first.ok()) << first.error();
  auto second = snapshotter.Snapshot(city.views());
  ASSERT_TRUE(second.ok()) << second.error();

  EXPECT_NE(first->id, second->id);
  EXPECT_EQ(first->hash, second->hash);
  EXPECT_EQ(first->rows, second->rows);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM snapshots WHERE complete = 1"), 2);
  EXPECT_EQ(Int("SELECT COUNT(DISTINCT content_hash) FROM snapshots"), 1);
  for (const auto& [table, select] : kTables) {
    const auto a = RowsOf(table, select, first->id);
    const auto b = RowsOf(table, select, second->id);
    EXPECT_EQ(a, b) << table;
    if (std::string(table) != "place_neighbours") {
      EXPECT_FALSE(a.empty()) << table;
    }
  }
  // The day's leaders were replaced, not duplicated: they now name the second snapshot.
  EXPECT_GT(Int("SELECT COUNT(*) FROM daily_leaders"), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM daily_leaders WHERE snapshot_id <> ?", {second->id}), 0);
  // The view serves only the newest complete snapshot.
  EXPECT_EQ(Int("SELECT MIN(snapshot_id) FROM v_top_places"), second->id);

  // One more event: a different hash.
  city.AddEvent(MakeVisit("u1", "p5", 1'800'000'000'000));
  city.Flush();
  auto third = snapshotter.Snapshot(city.views());
  ASSERT_TRUE(third.ok()) << third.error();
  EXPECT_NE(third->hash, first->hash);
  EXPECT_EQ(Int("SELECT events_applied - ? FROM snapshots WHERE id = ?",
                {Int("SELECT events_applied FROM snapshots WHERE id = ?", {first->id}), third->id}),
            1);
}

TEST_F(SnapshotIdempotenceTest, KeepsOnlyTheNewestSnapshots) {
  TestEngine city;
  FillCity(city, 30, 300);
  snapshot::SnapshotterOptions options = SnapshotterFor(mysql());
  options.mysql.keep_snapshots = 2;
  snapshot::Snapshotter snapshotter(options);
  std::vector<int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    auto w = snapshotter.Snapshot(city.views());
    ASSERT_TRUE(w.ok()) << w.error();
    ids.push_back(w->id);
  }
  EXPECT_EQ(Int("SELECT COUNT(*) FROM snapshots"), 2);
  EXPECT_EQ(Int("SELECT MIN(id) FROM snapshots"), ids[2]);
  for (const auto& [table, select] : kTables) {
    EXPECT_EQ(
        Int(std::string("SELECT COUNT(*) FROM ") + table + " WHERE snapshot_id < ?", {ids[2]}), 0)
        << table;
  }
  EXPECT_GT(Int("SELECT COUNT(*) FROM places WHERE snapshot_id = ?", {ids[3]}), 0);
}

TEST_F(SnapshotIdempotenceTest, ThroughputViewShowsEventsBetweenSnapshots) {
  TestEngine city;
  FillCity(city, 30, 300);
  snapshot::Snapshotter snapshotter(SnapshotterFor(mysql()));
  ASSERT_TRUE(snapshotter.Snapshot(city.views()).ok());
  for (int i = 0; i < 25; ++i) city.AddEvent(MakeVisit("u2", "p1", 1'800'000'000'000 + i));
  city.Flush();
  auto w = snapshotter.Snapshot(city.views());
  ASSERT_TRUE(w.ok()) << w.error();
  EXPECT_EQ(Int("SELECT events_delta FROM v_engine_throughput WHERE snapshot_id = ?", {w->id}), 25);
  EXPECT_EQ(Value("SELECT MAX(day) FROM v_daily_leaders"), "2027-01-15");
}

}  // namespace
}  // namespace locus
