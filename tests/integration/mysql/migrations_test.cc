// Acceptance (5): migrations run on an empty database, record themselves, and are a no-op
// when run again; an applied migration that was edited is refused; a half-applied one re-runs.
#include "snapshot/migrator.h"
#include "tests/integration/mysql/mysql_fixture.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace locus {
namespace {

using test_support::MysqlTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<int> AllVersions() {
  std::vector<int> v;
  for (const auto& m : snapshot::EmbeddedMigrations()) v.push_back(m.version);
  return v;
}

TEST_F(MysqlTest, MigrationsBuildAnEmptyDatabaseAndAreANoOpAfterwards) {
  EXPECT_EQ(Int("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"),
            0);
  auto first = snapshot::Migrate(sql());
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->applied, AllVersions());
  EXPECT_TRUE(first->already_applied.empty());

  const auto recorded =
      Rows("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
  ASSERT_EQ(recorded.size(), snapshot::EmbeddedMigrations().size());
  for (size_t i = 0; i < recorded.size(); ++i) {
    const auto& m = snapshot::EmbeddedMigrations()[i];
    EXPECT_EQ(*recorded[i][0], std::to_string(m.version));
    EXPECT_EQ(*recorded[i][1], m.name);
    EXPECT_EQ(*recorded[i][2], snapshot::MigrationChecksum(m.sql));
  }
  const std::string objects =
      "SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables "
      "WHERE table_schema = DATABASE()";
  const std::string before = Value(objects);
  for (const char* name : {"snapshots", "places", "activities", "activity_place_scores",
                           "place_neighbours", "user_activity_stats", "engine_stats", "eval_runs",
                           "v_top_places", "v_daily_leaders", "v_engine_throughput"}) {
    EXPECT_THAT(before, HasSubstr(name));
  }
  EXPECT_EQ(Value("SELECT table_collation FROM information_schema.tables "
                  "WHERE table_schema = DATABASE() AND table_name = 'places'"),
            "utf8mb4_nopad_bin");
  EXPECT_EQ(Value("SELECT data_type FROM information_schema.columns WHERE table_schema = "
                  "DATABASE() AND table_name = 'activity_place_scores' AND column_name = 'score'"),
            "double");

  // Data survives a second run, which changes nothing.
  ASSERT_TRUE(sql()
                  .Execute("INSERT INTO eval_runs (run_key, started_at, dataset, protocol, "
                           "method, slice, queries) VALUES ('r1', UTC_TIMESTAMP(3), 'd', "
                           "'NV-A', 'pop', 'all', 10)")
                  .ok());
  auto again_session = snapshot::MysqlSession::Connect(mysql());
  ASSERT_TRUE(again_session.ok()) << again_session.error();
  auto second = snapshot::Migrate(**again_session);
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(second->already_applied, AllVersions());
  EXPECT_EQ(Value(objects), before);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM schema_migrations"),
            static_cast<int64_t>(AllVersions().size()));
  EXPECT_EQ(Int("SELECT COUNT(*) FROM eval_runs"), 1);
}

TEST_F(MysqlTest, AMigrationEditedAfterItWasAppliedIsRefused) {
  ASSERT_TRUE(snapshot::Migrate(sql()).ok());
  std::vector<snapshot::Migration> edited = snapshot::EmbeddedMigrations();
  const std::string changed = std::string(edited[0].sql) + "\n-- edited\n";
  edited[0].sql = changed;
  auto r = snapshot::Migrate(sql(), edited);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), HasSubstr("was changed after it was applied"));
  EXPECT_THAT(r.error(), HasSubstr(std::string(edited[0].name)));
}

TEST_F(MysqlTest, AHalfAppliedMigrationRunsAgainFromItsStart) {
  ASSERT_TRUE(snapshot::Migrate(sql()).ok());
  // As if the server died after v_top_places was dropped/recreated but before the record.
  ASSERT_TRUE(sql().Execute("DROP VIEW v_top_places").ok());
  ASSERT_TRUE(sql().Execute("DELETE FROM schema_migrations WHERE version = 2").ok());
  auto r = snapshot::Migrate(sql());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_THAT(r->applied, ElementsAre(2));
  EXPECT_EQ(Int("SELECT COUNT(*) FROM v_top_places"), 0);
}

}  // namespace
}  // namespace locus
