// Applies the embedded migrations (migrations.h) to a database, in version order, each
// recorded in schema_migrations (version, name, checksum, applied_at). Running it again is a
// no-op. Concurrent starters (several locus processes) serialise on a named server lock.
//
// DDL is not transactional in MySQL: a migration that fails half-way is retried from its
// start on the next run, so migrations are written to be re-runnable (CREATE TABLE IF NOT
// EXISTS, CREATE OR REPLACE VIEW). A migration whose text changed after it was applied is an
// error (add a new migration instead); versions in the database that this build does not know
// (a newer locus) are left alone.
#pragma once

#include "snapshot/migrations.h"
#include "snapshot/mysql_session.h"

#include <vector>

namespace locus::snapshot {

struct MigrationReport {
  std::vector<int> applied;          // versions applied by this call
  std::vector<int> already_applied;  // versions found in schema_migrations
};

// Applies `migrations` (default: this build's) that the session's database lacks.
Result<MigrationReport> Migrate(MysqlSession& session);
Result<MigrationReport> Migrate(MysqlSession& session, const std::vector<Migration>& migrations);

}  // namespace locus::snapshot
