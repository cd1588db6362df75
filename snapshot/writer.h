// Writes one snapshot's content to MySQL in ONE transaction: the snapshots row (complete = 0),
// every table's rows tagged with the new snapshot id, the day's leaders, complete = 1, and the
// pruning of snapshots beyond keep_snapshots. Until the commit nothing of it is visible to
// other sessions; if anything fails the transaction is rolled back (or dies with the
// connection), so a half-written snapshot is never seen. All values are bound parameters.
#pragma once

#include "snapshot/content.h"
#include "snapshot/mysql_session.h"

#include <cstdint>
#include <string>

namespace locus::snapshot {

struct WriteOptions {
  // Complete snapshots kept, this one included; older snapshots' rows are deleted.
  int keep_snapshots = 48;
  // Recorded as snapshots.writer, e.g. "host:pid".
  std::string writer;
  // Wall time (ms since the epoch, UTC) the state view was taken: snapshots.started_at.
  int64_t started_at_ms = 0;
};

struct WrittenSnapshot {
  int64_t id = 0;
  int64_t rows = 0;          // rows written, all tables
  int64_t pruned = 0;        // older snapshots deleted
  double build_seconds = 0;  // reading the view and computing the rows
  double write_seconds = 0;  // the MySQL transaction
  std::string hash;
};

// Writes `content` as a new snapshot. The session must be migrated (see migrator.h).
Result<WrittenSnapshot> WriteSnapshot(MysqlSession& session, const SnapshotContent& content,
                                      const WriteOptions& options);

// "YYYY-MM-DD HH:MM:SS.mmm" (UTC) for DATETIME(3) columns; NULL for 0.
SqlValue SqlDateTime(int64_t ms);
// "YYYY-MM-DD" (UTC) for DATE columns.
std::string SqlDate(int64_t ms);

}  // namespace locus::snapshot
