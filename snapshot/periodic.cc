#include "snapshot/periodic.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace locus::snapshot {
namespace {

using Clock = std::chrono::steady_clock;

double Now() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

}  // namespace

std::unique_ptr<PeriodicSnapshots> PeriodicSnapshots::Start(SnapshotterOptions snapshotter,
                                                            ViewSource views,
                                                            PeriodicOptions options) {
  std::unique_ptr<PeriodicSnapshots> p(
      new PeriodicSnapshots(std::move(snapshotter), std::move(views), options));
  p->thread_ = std::thread([raw = p.get()] { raw->Run(); });
  return p;
}

PeriodicSnapshots::PeriodicSnapshots(SnapshotterOptions snapshotter, ViewSource views,
                                     PeriodicOptions options)
    : snapshotter_(std::move(snapshotter)), views_(std::move(views)), options_(options) {}

PeriodicSnapshots::~PeriodicSnapshots() { Stop(); }

void PeriodicSnapshots::TriggerNow() {
  std::lock_guard lock(mu_);
  triggered_ = true;
  wake_.notify_all();
}

void PeriodicSnapshots::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool PeriodicSnapshots::Attempt(bool snapshot) {
  Status failure;
  if (snapshot) {
    auto written = snapshotter_.Snapshot(views_);
    if (written.ok()) {
      counters_.last_snapshot_unix = std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
      counters_.last_duration_s = written->build_seconds + written->write_seconds;
      counters_.last_snapshot_id = written->id;
      counters_.last_rows = written->rows;
      EndOutage();
      // Published last: a reader that sees the new count sees this snapshot's figures and the
      // outage's end with it.
      const int64_t count = ++counters_.snapshots_written;
      // The first snapshot is worth a line in the log; later ones are routine.
      spdlog::log(count == 1 ? spdlog::level::info : spdlog::level::debug,
                  "snapshot {} written to MySQL at {}: {} rows in {:.3f} s (hash {})", written->id,
                  snapshotter_.where(), written->rows,
                  written->build_seconds + written->write_seconds, written->hash);
      return true;
    }
    failure = written.status();
  } else {
    auto migrated = snapshotter_.Prepare();
    if (migrated.ok()) {
      if (!migrated->applied.empty()) {
        spdlog::info("MySQL schema at {}: applied {} migration(s)", snapshotter_.where(),
                     migrated->applied.size());
      }
      EndOutage();
      return true;
    }
    failure = migrated.status();
  }

  // The flag first, then the count: a reader that sees the new count sees the flag set.
  counters_.failing = true;
  counters_.snapshot_failures++;
  if (outage_failures_++ == 0) {
    outage_started_ = Now();
    spdlog::warn(
        "MySQL snapshot failed (ingestion goes on; retrying with back-off, logged "
        "again when it works): {}",
        failure.message());
  } else {
    spdlog::debug("MySQL snapshot failed again ({}): {}", outage_failures_, failure.message());
  }
  return false;
}

void PeriodicSnapshots::EndOutage() {
  if (outage_failures_ > 0) {
    spdlog::info("MySQL snapshots work again at {} after {} failed attempt(s) over {:.0f} s",
                 snapshotter_.where(), outage_failures_, Now() - outage_started_);
  }
  outage_failures_ = 0;
  counters_.failing = false;
}

void PeriodicSnapshots::Run() {
  if (options_.nice != 0) {
    // Best effort: lowering one's own priority needs no privilege; failure changes nothing.
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    if (::setpriority(PRIO_PROCESS, tid, options_.nice) != 0) {
      spdlog::debug("could not lower the snapshot thread's priority");
    }
  }
  MysqlThread connector_thread;
  bool prepared = Attempt(/*snapshot=*/false);
  double next = Now() + (prepared ? options_.interval_s : options_.initial_backoff_s);
  while (true) {
    {
      std::unique_lock lock(mu_);
      const auto deadline = Clock::time_point(
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(next)));
      wake_.wait_until(lock, deadline, [&] { return stop_ || triggered_; });
      if (stop_) break;
      triggered_ = false;
    }
    const bool ok = Attempt(/*snapshot=*/true);
    if (ok) {
      next = Now() + options_.interval_s;
    } else {
      // 1, 2, 4, ... s, capped; a failure never delays the next try beyond one interval.
      const double backoff =
          options_.initial_backoff_s *
          std::pow(2.0, static_cast<double>(std::min<int64_t>(outage_failures_ - 1, 30)));
      next = Now() + std::min({backoff, options_.max_backoff_s, options_.interval_s});
    }
  }
  snapshotter_.Disconnect();
}

}  // namespace locus::snapshot
