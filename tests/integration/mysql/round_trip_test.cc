// Acceptance (4): names and ids with quotes, backslashes, emoji and SQL round-trip unchanged
// (every value is a bound parameter), and ids that differ only in case, accents or trailing
// spaces stay distinct keys.
#include "snapshot/snapshotter.h"
#include "tests/integration/mysql/mysql_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

namespace locus {
namespace {

using test_support::MakePlace;
using test_support::MakeVisit;
using test_support::MysqlTest;
using test_support::TestEngine;

// place id -> name
const std::map<std::string, std::string> kPlaces = {
    {"drop", "'; DROP TABLE places; --"},
    {"bobby", "Robert'); DROP TABLE snapshots;-- \" \\'"},
    {"quotes", "O'Reilly's \"Best\" Café"},
    {"back\\slash", "C:\\path\\to\\ \\\\server\\share \\n is not a newline \\0"},
    {"emoji", "🧗‍♀️ Boulder Bar 🍺 — 東京 ☕ 𝄞"},
    {"p'1\"2;--", "%_ LIKE wildcards *?"},
    {"long", std::string(256 / 4 * 4, 'a')},  // replaced below by 256 four-byte characters
};

TEST_F(MysqlTest, TrickyNamesAndIdsRoundTripUnchanged) {
  std::map<std::string, std::string> places = kPlaces;
  std::string longest;
  for (int i = 0; i < 256; ++i) longest += "😀";  // 256 code points, 1024 bytes: the maximum
  places["long"] = longest;

  TestEngine city;
  int n = 0;
  // Activities that MySQL's default collations would merge.
  const std::vector<std::string> activities = {"Café", "Cafe", "cafe", "Bar", "Bar "};
  for (const auto& [id, name] : places) {
    city.AddPlace(MakePlace(id, name, {activities[n % activities.size()], "x\"y\\z"}));
    city.AddEvent(MakeVisit("u", id, 1'700'000'000'000 + n));
    ++n;
  }
  city.Flush();
  snapshot::Snapshotter snapshotter(SnapshotterFor(mysql()));
  auto w = snapshotter.Snapshot(city.views());
  ASSERT_TRUE(w.ok()) << w.error();

  std::map<std::string, std::string> stored;
  for (const auto& row : Rows("SELECT place_id, name FROM places WHERE snapshot_id = ?", {w->id})) {
    stored[*row[0]] = *row[1];
  }
  EXPECT_EQ(stored, places);
  // The same through the view, one place at a time by bound id.
  for (const auto& [id, name] : places) {
    EXPECT_EQ(Value("SELECT name FROM v_top_places WHERE place_id = ? LIMIT 1", {id}), name) << id;
    EXPECT_EQ(Int("SELECT CHAR_LENGTH(name) FROM places WHERE snapshot_id = ? AND place_id = ?",
                  {w->id, id}),
              Int("SELECT CHAR_LENGTH(?)", {name}))
        << id;
  }
  // Nothing was dropped.
  EXPECT_EQ(Int("SELECT COUNT(*) FROM snapshots"), 1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                "AND table_name IN ('places', 'snapshots')"),
            2);

  // Five distinct activities, byte for byte.
  std::set<std::string> stored_activities;
  for (const auto& row : Rows("SELECT activity FROM activities WHERE snapshot_id = ?", {w->id})) {
    stored_activities.insert(*row[0]);
  }
  std::set<std::string> expected(activities.begin(), activities.end());
  expected.insert("x\"y\\z");
  EXPECT_EQ(stored_activities, expected);

  // JSON columns hold valid JSON that decodes to the original strings.
  EXPECT_EQ(Int("SELECT COUNT(*) FROM places WHERE snapshot_id = ? AND JSON_VALID(activities) "
                "AND JSON_UNQUOTE(JSON_EXTRACT(activities, '$[1]')) = ?",
                {w->id, std::string("x\"y\\z")}),
            static_cast<int64_t>(places.size()));
}

}  // namespace
}  // namespace locus
