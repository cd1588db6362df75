#include "snapshot/migrations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

namespace locus::snapshot {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(SplitStatementsTest, SplitsAtSemicolonsThatEndALineAndDropsCommentLines) {
  const auto statements = SplitStatements(
      "-- a comment; with a semicolon;\n"
      "CREATE TABLE t (\n"
      "  a INT -- inline comments stay\n"
      ");\n"
      "\n"
      "  -- indented comment\n"
      "CREATE VIEW v AS SELECT ';' AS x;  \r\n"
      "SELECT 1");
  EXPECT_THAT(statements, ElementsAre("CREATE TABLE t (\n  a INT -- inline comments stay\n)",
                                      "CREATE VIEW v AS SELECT ';' AS x", "SELECT 1"));
}

TEST(SplitStatementsTest, GivesNothingForOnlyComments) {
  EXPECT_TRUE(SplitStatements("-- nothing\n\n   \n-- here;\n").empty());
}

TEST(RenderMigrationTest, ReplacesEveryCollationToken) {
  EXPECT_EQ(RenderMigration("a {{id_collation}} b {{id_collation}}", "x_bin"), "a x_bin b x_bin");
  EXPECT_EQ(RenderMigration("no token", "x_bin"), "no token");
}

TEST(IdCollationForTest, PicksTheNoPadBinaryCollationOfTheServer) {
  EXPECT_EQ(IdCollationFor("10.11.19-MariaDB-0+deb12u1"), "utf8mb4_nopad_bin");
  EXPECT_EQ(IdCollationFor("8.0.36"), "utf8mb4_0900_bin");
}

TEST(MigrationChecksumTest, IsStableAndSeesEveryByte) {
  EXPECT_EQ(MigrationChecksum("CREATE TABLE t (a INT);"),
            MigrationChecksum("CREATE TABLE t (a INT);"));
  EXPECT_NE(MigrationChecksum("CREATE TABLE t (a INT);"),
            MigrationChecksum("CREATE TABLE t (a INT); "));
  EXPECT_EQ(MigrationChecksum("").size(), 16u);
  EXPECT_EQ(MigrationChecksum(""), "cbf29ce484222325");  // FNV-1a 64 offset basis
}

TEST(EmbeddedMigrationsTest, AreOrderedNamedAndSplitIntoStatements) {
  const auto& migrations = EmbeddedMigrations();
  ASSERT_GE(migrations.size(), 2u);
  int previous = 0;
  std::set<std::string> names;
  for (const Migration& m : migrations) {
    EXPECT_GT(m.version, previous) << m.name;
    previous = m.version;
    EXPECT_TRUE(names.insert(std::string(m.name)).second) << m.name;
    const auto statements = SplitStatements(RenderMigration(m.sql, "utf8mb4_nopad_bin"));
    EXPECT_FALSE(statements.empty()) << m.name;
    for (const std::string& s : statements) {
      EXPECT_THAT(s, Not(HasSubstr("{{"))) << m.name;
      // Re-runnable after a failure half-way: DDL never fails because an object exists.
      if (s.find("CREATE TABLE") != std::string::npos) {
        EXPECT_THAT(s, HasSubstr("IF NOT EXISTS")) << s;
      }
      if (s.find("CREATE ") != std::string::npos && s.find(" VIEW ") != std::string::npos) {
        EXPECT_THAT(s, HasSubstr("CREATE OR REPLACE VIEW")) << s;
      }
    }
  }
  EXPECT_EQ(migrations.front().name, "0001_snapshot_tables.sql");
}

TEST(EmbeddedMigrationsTest, DefineEveryTableAndViewTheReportsUse) {
  std::string all;
  for (const Migration& m : EmbeddedMigrations()) all += m.sql;
  for (const char* table : {"snapshots", "snapshot_offsets", "places", "activities",
                            "activity_place_scores", "place_neighbours", "user_activity_stats",
                            "user_place_history", "engine_stats", "daily_leaders", "eval_runs"}) {
    EXPECT_THAT(all, HasSubstr(std::string("CREATE TABLE IF NOT EXISTS ") + table + " (")) << table;
  }
  for (const char* view :
       {"v_latest_snapshot", "v_top_places", "v_daily_leaders", "v_engine_throughput"}) {
    EXPECT_THAT(all, HasSubstr(std::string("CREATE OR REPLACE VIEW ") + view + " AS")) << view;
  }
  // Every table is transactional and utf8mb4; floats are DOUBLE.
  EXPECT_THAT(all, Not(HasSubstr("MyISAM")));
  EXPECT_THAT(all, Not(HasSubstr(" FLOAT")));
  EXPECT_THAT(all, Not(HasSubstr("utf8 ")));
}

}  // namespace
}  // namespace locus::snapshot
