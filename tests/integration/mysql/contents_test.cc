// Acceptance (1): a snapshot holds what the state holds — counts, places, ranks and scores
// agree with the model and with `locus state dump`.
#include "snapshot/migrator.h"
#include "snapshot/snapshotter.h"
#include "src/cli/commands.h"
#include "tests/integration/mysql/mysql_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace locus {
namespace {

using test_support::FillCity;
using test_support::MysqlTest;
using test_support::TestEngine;

class SnapshotContentsTest : public MysqlTest {};

TEST_F(SnapshotContentsTest, MatchTheModelPlaceByPlaceAndRankByRank) {
  TestEngine city;
  FillCity(city, 90, 3000);
  snapshot::Snapshotter snapshotter(SnapshotterFor(mysql()));
  auto written = snapshotter.Snapshot(city.views());
  ASSERT_TRUE(written.ok()) << written.error();
  const int64_t id = written->id;

  city.engine().WithModel([&](const Model& m) {
    EXPECT_EQ(Int("SELECT events_applied FROM snapshots WHERE id = ?", {id}), m.events_applied());
    EXPECT_EQ(Int("SELECT places FROM snapshots WHERE id = ?", {id}),
              static_cast<int64_t>(m.place_count()));
    EXPECT_EQ(Int("SELECT users FROM snapshots WHERE id = ?", {id}),
              static_cast<int64_t>(m.users().size()));
    EXPECT_EQ(Int("SELECT complete FROM snapshots WHERE id = ?", {id}), 1);
    EXPECT_EQ(Int("SELECT COUNT(*) FROM places WHERE snapshot_id = ?", {id}),
              static_cast<int64_t>(m.place_count()));

    // Every activity's ranking, in full, against the model's decayed popularity.
    for (const auto& [activity, stats] : m.activity_stats()) {
      std::vector<std::pair<double, std::string>> expected;
      for (const auto& [place, st] : stats) {
        expected.emplace_back(-st.popularity.At(m.newest_ts(), m.half_life_ms()), place.str());
      }
      std::sort(expected.begin(), expected.end());
      const auto rows = Rows(
          "SELECT `rank`, place_id, score, visits FROM activity_place_scores "
          "WHERE snapshot_id = ? AND activity = ? ORDER BY `rank`",
          {id, activity.str()});
      ASSERT_EQ(rows.size(), std::min<size_t>(expected.size(), 100)) << activity.str();
      for (size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(std::stoll(*rows[i][0]), static_cast<int64_t>(i + 1));
        EXPECT_EQ(*rows[i][1], expected[i].second) << activity.str() << " rank " << i + 1;
        EXPECT_NEAR(std::stod(*rows[i][2]), -expected[i].first, 1e-9 * -expected[i].first);
        EXPECT_EQ(std::stoll(*rows[i][3]), stats.at(PlaceId(*rows[i][1])).visits);
      }
    }
  });
  // The view serves the same ranking with the names.
  EXPECT_EQ(Value("SELECT name FROM v_top_places WHERE activity = 'Bar' AND `rank` = 1"),
            Value("SELECT p.name FROM activity_place_scores s JOIN places p "
                  "ON p.snapshot_id = s.snapshot_id AND p.place_id = s.place_id "
                  "WHERE s.snapshot_id = ? AND s.activity = 'Bar' AND s.`rank` = 1",
                  {id}));
  EXPECT_EQ(Int("SELECT COUNT(DISTINCT snapshot_id) FROM v_top_places"), 1);
}

// `locus snapshot --data-dir DIR` on a directory no engine holds, checked against
// `locus state dump` of the same directory.
TEST_F(SnapshotContentsTest, OfTheCliAgreeWithStateDump) {
  TestEngine city;
  FillCity(city, 60, 1500, /*seed=*/11);
  city.Close();
  const std::string state_dir = city.dir() + "/state";

  const std::string config = city.dir() + "/locus.yaml";
  std::ofstream(config) << "mysql:\n  host: " << mysql().host << "\n  port: " << mysql().port
                        << "\n  database: " << mysql().database << "\n  user: " << mysql().user
                        << "\n  password: " << mysql().password << "\n";
  ASSERT_EQ(cli::Snapshot({config, state_dir}), 0);
  const int64_t id = Int("SELECT MAX(id) FROM snapshots WHERE complete = 1");
  ASSERT_GT(id, 0);

  std::ostringstream dump;
  ASSERT_EQ(cli::StateDump(state_dir, dump), 0);
  // "activity_place <activity> | <place> visits=N ..." and "places <id> name=..." lines.
  std::map<std::pair<std::string, std::string>, int64_t> visits;
  int64_t places = 0, events_applied = -1;
  std::istringstream lines(dump.str());
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("activity_place ")) {
      const size_t bar = line.find(" | ");
      const size_t space = line.find(' ', bar + 3);
      const size_t v = line.find(" visits=", bar);
      ASSERT_NE(v, std::string::npos) << line;
      visits[{line.substr(15, bar - 15), line.substr(bar + 3, space - bar - 3)}] =
          std::stoll(line.substr(v + 8));
    }
    if (line.starts_with("places ")) ++places;
    if (line.starts_with("events_applied ")) events_applied = std::stoll(line.substr(15));
  }
  ASSERT_FALSE(visits.empty());
  EXPECT_EQ(Int("SELECT places FROM snapshots WHERE id = ?", {id}), places);
  EXPECT_EQ(Int("SELECT events_applied FROM snapshots WHERE id = ?", {id}), events_applied);
  EXPECT_EQ(events_applied, 1500);

  int64_t rows_checked = 0;
  for (const auto& row : Rows("SELECT activity, place_id, visits FROM activity_place_scores "
                              "WHERE snapshot_id = ?",
                              {id})) {
    const auto it = visits.find({*row[0], *row[1]});
    ASSERT_NE(it, visits.end()) << *row[0] << " | " << *row[1];
    EXPECT_EQ(std::stoll(*row[2]), it->second);
    ++rows_checked;
  }
  EXPECT_EQ(rows_checked, static_cast<int64_t>(visits.size()));  // < 100 places per activity
  // Activity totals agree with the dump's per-place visits.
  std::map<std::string, int64_t> per_activity;
  for (const auto& [key, n] : visits) per_activity[key.first] += n;
  for (const auto& [activity, n] : per_activity) {
    EXPECT_EQ(
        Int("SELECT visits FROM activities WHERE snapshot_id = ? AND activity = ?", {id, activity}),
        n)
        << activity;
  }
}

}  // namespace
}  // namespace locus
