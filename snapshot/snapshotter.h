// Snapshotter: one MySQL destination and how to snapshot a state view into it. Owns at most one
// connection, opened (and migrated) on first use and dropped after any error, so the next call
// starts from a fresh connection. Used by `locus snapshot` and by PeriodicSnapshots.
//
// Threading: one thread at a time (PeriodicSnapshots' thread, or the CLI's main thread).
#pragma once

#include "snapshot/content.h"
#include "snapshot/migrator.h"
#include "snapshot/mysql_session.h"
#include "snapshot/writer.h"
#include "src/config/config.h"
#include "src/core/state_io.h"

#include <functional>
#include <memory>
#include <string>

namespace locus::snapshot {

struct SnapshotterOptions {
  // Destination, keep_snapshots and export_user_rows.
  MysqlConfig mysql;
  // Model options, top N and model version (export_user_rows is taken from `mysql`).
  ContentOptions content;
  ConnectOptions connect;
};

// Hands out a consistent view of the state as it is now (StateStore::ConsistentView).
using ViewSource = std::function<std::unique_ptr<StateReader>()>;

class Snapshotter {
 public:
  explicit Snapshotter(SnapshotterOptions options);
  ~Snapshotter();

  // Connects and applies migrations unless already connected. Returns what was migrated on
  // this call (empty when the connection was already up).
  Result<MigrationReport> Prepare();
  // Prepare(), then takes a view, builds its content (the view is released before writing)
  // and writes it in one transaction.
  Result<WrittenSnapshot> Snapshot(const ViewSource& take_view);
  // Drops the connection (the next call reconnects).
  void Disconnect();
  std::string where() const { return DescribeServer(options_.mysql); }

 private:
  SnapshotterOptions options_;
  std::unique_ptr<MysqlSession> session_;
  std::string writer_;  // host:pid
};

}  // namespace locus::snapshot
