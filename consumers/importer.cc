#include "consumers/importer.h"

#include "src/codec/messages.h"
#include "src/core/checkin.h"
#include "src/io/line_reader.h"
#include "src/io/progress.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace locus::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// Measures the engine group's lag per partition of the events topic.
class LagProbe {
 public:
  static Result<LagProbe> Create(const ImportOptions& o) {
    Properties p = o.client;
    p["group.id"] = o.kafka.group_id;
    p["enable.auto.commit"] = "false";
    auto h = NewClient(Role::kConsumer, p);
    if (!h.ok()) return h.status();
    LagProbe probe;
    probe.rk_ = std::move(*h);
    probe.topic_ = o.kafka.events_topic;
    auto n = PartitionCount(probe.rk_.get(), probe.topic_);
    if (!n.ok()) return n.status();
    probe.partitions_ = *n;
    return probe;
  }

  // Largest (high watermark - committed offset) over the partitions.
  int64_t MaxLag() {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions_);
    for (int32_t p = 0; p < partitions_; ++p) {
      rd_kafka_topic_partition_list_add(list, topic_.c_str(), p);
    }
    rd_kafka_committed(rk_.get(), list, 5000);
    int64_t worst = 0;
    for (int i = 0; i < list->cnt; ++i) {
      auto w = QueryWatermarks(rk_.get(), topic_, list->elems[i].partition);
      if (!w.ok()) continue;
      const int64_t committed = list->elems[i].offset >= 0 ? list->elems[i].offset : w->low;
      worst = std::max(worst, w->high - committed);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return worst;
  }

 private:
  Handle rk_;
  std::string topic_;
  int32_t partitions_ = 0;
};

}  // namespace

Result<ImportStats> ImportCheckins(const std::string& path, const ImportOptions& o) {
  const auto start = Clock::now();
  auto stopped = [&o] { return o.stop != nullptr && o.stop->load(); };
  ImportStats stats;
  auto reader = LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::vector<Checkin> rows;
  std::string line;
  while ((*reader)->Next(line)) {
    ++stats.lines;
    if (auto c = ParseCheckinLine(line)) {
      rows.push_back(std::move(*c));
    } else {
      ++stats.skipped;
      if (stats.skipped <= 5)
        spdlog::warn("{}:{}: not a check-in line, skipped", path, stats.lines);
    }
  }
  if (!(*reader)->error().empty()) return Status::Error(path + ": " + (*reader)->error());
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Checkin& a, const Checkin& b) { return a.ts < b.ts; });

  Properties props = o.client;
  props["linger.ms"] = "5";
  props["partitioner"] = "murmur2_random";
  props["queue.buffering.max.messages"] = "200000";
  auto producer = Producer::Create(props);
  if (!producer.ok()) return producer.status();
  Producer& out = **producer;

  // Places first: a venue's activity and coordinates are those of its first check-in.
  std::unordered_map<std::string, bool> seen;
  for (const Checkin& c : rows) {
    if (!seen.emplace(c.venue, true).second) continue;
    Place p{PlaceId(c.venue),
            CheckinPlaceName(c.activity, c.venue),
            c.position,
            {ActivityId(c.activity)},
            {}};
    Status s = out.Produce(o.kafka.places_topic, c.venue, EncodePlace(p));
    if (!s.ok()) return s;
    ++stats.places;
  }
  Status s = out.Flush(60000);
  if (!s.ok()) return s;

  std::optional<LagProbe> lag;
  if (o.max_lag_per_partition > 0) {
    auto probe = LagProbe::Create(o);
    if (!probe.ok()) return probe.status();
    lag.emplace(std::move(*probe));
  }
  Progress progress("events", static_cast<int64_t>(rows.size()), o.progress);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Checkin& c = rows[i];
    Event e;
    e.event_id = CheckinEventId(path, i);
    e.type = EventType::kVisit;
    e.user = UserId(c.user);
    e.place = PlaceId(c.venue);
    // No activity: the place's own (its first check-in's) applies, as in `locus eval`.
    e.ts = c.ts;
    e.position = c.position;
    s = out.Produce(o.kafka.events_topic, c.user, EncodeEvent(e));
    if (!s.ok()) return s;
    ++stats.events;
    if (i % 4096 == 4095) {
      out.Poll(0);
      progress.Update(stats.events);
      if (stopped()) return Status::Error("stopped");
      if (lag) {
        // Count what is still queued here too: deliver it before measuring the lag.
        s = out.Flush(60000);
        if (!s.ok()) return s;
        while (lag->MaxLag() > o.max_lag_per_partition) {
          if (stopped()) return Status::Error("stopped");
          progress.Update(stats.events, "waiting for the engine");
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    }
  }
  s = out.Flush(120000);
  if (!s.ok()) return s;
  progress.Finish(stats.events);
  if (out.delivery_failures() > 0) {
    return Status::Error(std::to_string(out.delivery_failures()) + " messages were not delivered");
  }
  if (lag && o.wait_for_engine_s > 0) {
    // Return once the engine has read (and committed) everything imported.
    const auto deadline = Clock::now() + std::chrono::duration<double>(o.wait_for_engine_s);
    int64_t remaining = 0;
    while ((remaining = lag->MaxLag()) > 0) {
      if (stopped()) return Status::Error("stopped");
      if (Clock::now() > deadline) {
        return Status::Error("the engine has not read everything after " +
                             std::to_string(o.wait_for_engine_s) + " s (lag " +
                             std::to_string(remaining) + "); is `locus serve` running?");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return stats;
}

}  // namespace locus::kafka
