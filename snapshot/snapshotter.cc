#include "snapshot/snapshotter.h"

#include <chrono>
#include <unistd.h>

namespace locus::snapshot {
namespace {

std::string WriterId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "unknown") + ":" + std::to_string(getpid());
}

}  // namespace

Snapshotter::Snapshotter(SnapshotterOptions options)
    : options_(std::move(options)), writer_(WriterId()) {
  options_.content.export_user_rows = options_.mysql.export_user_rows;
}

Snapshotter::~Snapshotter() = default;

void Snapshotter::Disconnect() { session_.reset(); }

Result<MigrationReport> Snapshotter::Prepare() {
  if (session_) return MigrationReport{};
  auto session = MysqlSession::Connect(options_.mysql, options_.connect);
  if (!session.ok()) return session.status();
  auto report = Migrate(**session);
  if (!report.ok())
    return Status::Error("migrating " + (*session)->where() + ": " + report.error());
  session_ = std::move(*session);
  return report;
}

Result<WrittenSnapshot> Snapshotter::Snapshot(const ViewSource& take_view) {
  auto prepared = Prepare();
  if (!prepared.ok()) return prepared.status();

  using Clock = std::chrono::steady_clock;
  const auto build_start = Clock::now();
  WriteOptions wo;
  wo.keep_snapshots = options_.mysql.keep_snapshots;
  wo.writer = writer_;
  wo.started_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  Result<SnapshotContent> content = Status::Error("no state view");
  {
    std::unique_ptr<StateReader> view = take_view();
    if (view) content = BuildContent(*view, options_.content);
  }  // the RocksDB snapshot is released here, before the (slower) MySQL write
  if (!content.ok()) return content.status();
  const double build_seconds = std::chrono::duration<double>(Clock::now() - build_start).count();

  auto written = WriteSnapshot(*session_, *content, wo);
  if (!written.ok()) {
    Disconnect();
    return Status::Error("writing a snapshot to " + where() + ": " + written.error());
  }
  written->build_seconds = build_seconds;
  return written;
}

}  // namespace locus::snapshot
