#include "snapshot/migrator.h"

#include <map>
#include <string>

namespace locus::snapshot {
namespace {

constexpr int kLockTimeoutS = 60;

Status Apply(MysqlSession& session, const Migration& m, const std::string& collation) {
  for (const std::string& statement : SplitStatements(RenderMigration(m.sql, collation))) {
    auto r = session.Execute(statement);
    if (!r.ok()) return Status::Error("migration " + std::string(m.name) + ": " + r.error());
  }
  auto r = session.Execute(
      "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
      "VALUES (?, ?, ?, UTC_TIMESTAMP(3))",
      {int64_t{m.version}, std::string(m.name), MigrationChecksum(m.sql)});
  return r.status();
}

Result<MigrationReport> MigrateLocked(MysqlSession& session,
                                      const std::vector<Migration>& migrations) {
  auto rows = session.Query("SELECT version, checksum FROM schema_migrations ORDER BY version");
  if (!rows.ok()) return rows.status();
  std::map<int, std::string> applied;
  for (const SqlRow& row : *rows) applied[std::stoi(row[0].value_or("0"))] = row[1].value_or("");

  const std::string collation = IdCollationFor(session.server_version());
  MigrationReport report;
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return Status::Error("migrations out of order: " + std::string(m.name) +
                           " does not follow version " + std::to_string(previous));
    }
    previous = m.version;
    auto it = applied.find(m.version);
    if (it == applied.end()) {
      Status s = Apply(session, m, collation);
      if (!s.ok()) return s;
      report.applied.push_back(m.version);
    } else if (it->second != MigrationChecksum(m.sql)) {
      return Status::Error("migration " + std::string(m.name) + " was changed after it was " +
                           "applied to " + session.where() + " (checksum " + it->second +
                           " there, " + MigrationChecksum(m.sql) + " in this build); add a " +
                           "new migration instead of editing an applied one");
    } else {
      report.already_applied.push_back(m.version);
    }
  }
  return report;
}

}  // namespace

Result<MigrationReport> Migrate(MysqlSession& session) {
  return Migrate(session, EmbeddedMigrations());
}

Result<MigrationReport> Migrate(MysqlSession& session, const std::vector<Migration>& migrations) {
  auto created = session.Execute(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INT NOT NULL PRIMARY KEY,"
      " name VARCHAR(255) NOT NULL,"
      " checksum CHAR(16) NOT NULL,"
      " applied_at DATETIME(3) NOT NULL"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  if (!created.ok()) return created.status();

  // One migrator per database at a time (lock names are server-wide, at most 64 characters).
  const std::string lock_name = "LEFT(CONCAT('locus_migrations.', DATABASE()), 64)";
  auto got = session.QueryValue("SELECT GET_LOCK(" + lock_name + ", ?)", {int64_t{kLockTimeoutS}});
  if (!got.ok()) return got.status();
  if (got->value_or("0") != "1") {
    return Status::Error("another process held the migration lock of " + session.where() + " for " +
                         std::to_string(kLockTimeoutS) + " s");
  }
  auto report = MigrateLocked(session, migrations);
  session.QueryValue("SELECT RELEASE_LOCK(" + lock_name + ")").status().IgnoreError();
  return report;
}

}  // namespace locus::snapshot
