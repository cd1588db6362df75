// The operations routes: GET /healthz, /readyz and /metrics.
#include "http/handlers.h"

#include <nlohmann/json.hpp>

#include <chrono>

namespace locus::http {
namespace {

using Json = nlohmann::json;

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Reply Healthz() { return {200, R"({"status":"alive"})"}; }

Reply Readyz(Context& c) {
  const ServerSources& s = c.sources;
  Json checks = Json::object();
  bool ready = true;

  // State: the engine is open (the server starts after it loaded the store).
  s.engine->WithModel([&](const Model& m) {
    checks["state"] = {
        {"ok", true}, {"places", m.place_count()}, {"events_applied", m.events_applied()}};
    return 0;
  });

  // Kafka: a metadata round trip to the cluster for the events topic.
  if (s.producer == nullptr) {
    checks["kafka"] = {{"ok", false}, {"error", "no Kafka client"}};
    ready = false;
  } else {
    auto n = kafka::PartitionCount(s.producer->raw(), c.options.events_topic, 2000);
    if (n.ok()) {
      checks["kafka"] = {{"ok", true}, {"partitions", *n}};
    } else {
      checks["kafka"] = {{"ok", false}, {"error", n.error()}};
      ready = false;
    }
  }

  // Consumer: this member holds partitions, and how far behind it is.
  if (s.loop == nullptr) {
    checks["consumer"] = {{"ok", false}, {"error", "no consumer loop"}};
    ready = false;
  } else {
    const int64_t assigned = s.loop->assigned_partitions.load();
    Json lag = Json::object();
    int64_t total = 0;
    for (const auto& [topic, n] : s.loop->lag_by_topic.Get()) {
      lag[topic] = n;
      total += n;
    }
    checks["consumer"] = {{"ok", assigned > 0},
                          {"assigned_partitions", assigned},
                          {"lag", lag},
                          {"lag_total", total}};
    if (assigned == 0) ready = false;
  }

  // MySQL: reachable as the snapshot thread last saw it (it connects at start and retries).
  if (s.snapshots == nullptr) {
    checks["mysql"] = {{"ok", true}, {"snapshots", "disabled"}};
  } else {
    const bool failing = s.snapshots->failing.load();
    checks["mysql"] = {{"ok", !failing},
                       {"snapshots_written", s.snapshots->snapshots_written.load()},
                       {"failures", s.snapshots->snapshot_failures.load()}};
    if (failing) ready = false;
  }
  Json body = {{"status", ready ? "ready" : "not_ready"}, {"checks", std::move(checks)}};
  return {ready ? 200 : 503, body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

Reply Metrics(Context& c) {
  const ServerSources& s = c.sources;
  const EngineCounters& e = s.engine->counters();
  MetricsWriter w;

  w.Family("locus_events_total", "counter",
           "Events read from the events topic, by type and outcome (applied or rejected).");
  for (size_t t = 0; t < e.events.size(); ++t) {
    const std::string type = t < 3 ? EventTypeName(static_cast<EventType>(t)) : "undecodable";
    if (t < 3) {  // an event that does not decode is never applied
      w.Sample("locus_events_total", {{"type", type}, {"outcome", "applied"}},
               static_cast<double>(e.events[t][0].load()));
    }
    w.Sample("locus_events_total", {{"type", type}, {"outcome", "rejected"}},
             static_cast<double>(e.events[t][1].load()));
  }
  w.Family("locus_places_total", "counter", "Place records read, by outcome.");
  w.Sample("locus_places_total", {{"outcome", "applied"}},
           static_cast<double>(e.places_applied.load()));
  w.Sample("locus_places_total", {{"outcome", "rejected"}},
           static_cast<double>(e.places_rejected.load()));
  w.Family("locus_requests_total", "counter",
           "Recommendation requests answered (topic and HTTP), by status.");
  w.Sample("locus_requests_total", {{"status", "ok"}}, static_cast<double>(e.requests_ok.load()));
  w.Sample("locus_requests_total", {{"status", "error"}},
           static_cast<double>(e.requests_error.load()));
  w.Family("locus_state_flushes_total", "counter", "Batches of state and offsets committed.");
  w.Sample("locus_state_flushes_total", {}, static_cast<double>(e.flushes.load()));
  w.Family("locus_http_events_accepted_total", "counter",
           "Events accepted by POST /events and produced to the events topic.");
  w.Sample("locus_http_events_accepted_total", {},
           static_cast<double>(c.stats.events_accepted.load()));

  if (s.loop != nullptr) {
    const kafka::LoopCounters& l = *s.loop;
    w.Family("locus_deadletters_total", "counter", "Messages sent to the dead-letter topic.");
    w.Sample("locus_deadletters_total", {}, static_cast<double>(l.deadletters.load()));
    w.Family("locus_deadletters_by_reason_total", "counter",
             "Messages sent to the dead-letter topic, by reason code.");
    for (const auto& [reason, n] : l.deadletters_by_reason.Get()) {
      w.Sample("locus_deadletters_by_reason_total", {{"reason", reason}}, static_cast<double>(n));
    }
    w.Family("locus_responses_total", "counter", "Responses produced to the responses topic.");
    w.Sample("locus_responses_total", {}, static_cast<double>(l.responses.load()));
    w.Family("locus_offsets_lost_total", "counter",
             "Stored offsets that fell off the log (messages never read).");
    w.Sample("locus_offsets_lost_total", {}, static_cast<double>(l.offsets_lost.load()));
    w.Family("locus_rebalances_total", "counter", "Consumer group rebalances seen.");
    w.Sample("locus_rebalances_total", {}, static_cast<double>(l.rebalances.load()));
    w.Family("locus_assigned_partitions", "gauge",
             "Partitions of the events and requests topics this member holds.");
    w.Sample("locus_assigned_partitions", {}, static_cast<double>(l.assigned_partitions.load()));
    w.Family("locus_requests_in_flight", "gauge",
             "Requests read from the requests topic whose responses are not delivered yet.");
    w.Sample("locus_requests_in_flight", {}, static_cast<double>(l.requests_in_flight.load()));
    w.Family("locus_consumer_lag", "gauge",
             "Messages behind the end of the log over the assigned partitions, by topic.");
    for (const auto& [topic, n] : l.lag_by_topic.Get()) {
      w.Sample("locus_consumer_lag", {{"topic", topic}}, static_cast<double>(n));
    }
  }

  w.Family("locus_http_request_duration_seconds", "histogram",
           "Latency of HTTP requests by route, from routing to the reply.");
  for (size_t i = 0; i < kRoutes.size(); ++i) {
    w.Histogram("locus_http_request_duration_seconds", {{"route", std::string(kRoutes[i])}},
                c.stats.latency[i].Read());
  }
  w.Family("locus_http_responses_total", "counter", "HTTP responses by route and status code.");
  {
    std::lock_guard lock(c.stats.mu);
    for (const auto& [key, n] : c.stats.responses) {
      w.Sample("locus_http_responses_total",
               {{"route", key.first}, {"code", std::to_string(key.second)}},
               static_cast<double>(n));
    }
  }

  if (s.snapshots != nullptr) {
    const snapshot::SnapshotCounters& sc = *s.snapshots;
    const int64_t last = sc.last_snapshot_unix.load();
    w.Family("locus_snapshots_total", "counter", "MySQL snapshots committed.");
    w.Sample("locus_snapshots_total", {}, static_cast<double>(sc.snapshots_written.load()));
    w.Family("locus_snapshot_failures_total", "counter", "Failed MySQL snapshot attempts.");
    w.Sample("locus_snapshot_failures_total", {}, static_cast<double>(sc.snapshot_failures.load()));
    w.Family("locus_snapshot_age_seconds", "gauge",
             "Seconds since the last committed snapshot (NaN: none yet).");
    w.Sample("locus_snapshot_age_seconds", {},
             last > 0 ? static_cast<double>(UnixNow() - last) : std::nan(""));
    w.Family("locus_snapshot_duration_seconds", "gauge", "Wall time of the last snapshot.");
    w.Sample("locus_snapshot_duration_seconds", {}, sc.last_duration_s.load());
    w.Family("locus_snapshot_failing", "gauge", "1 while snapshots are failing.");
    w.Sample("locus_snapshot_failing", {}, sc.failing.load() ? 1 : 0);
  }

  w.Family("locus_rocksdb_size_bytes", "gauge", "Approximate bytes of the state on disk.");
  w.Sample("locus_rocksdb_size_bytes", {},
           static_cast<double>(s.engine->store().ApproximateBytes()));
  const StateStore::Memory memory = s.engine->store().MemoryUsage();
  w.Family("locus_rocksdb_memory_bytes", "gauge",
           "What RocksDB holds in memory, by part (its own estimates).");
  w.Sample("locus_rocksdb_memory_bytes", {{"part", "memtables"}},
           static_cast<double>(memory.memtables));
  w.Sample("locus_rocksdb_memory_bytes", {{"part", "table_readers"}},
           static_cast<double>(memory.table_readers));
  w.Sample("locus_rocksdb_memory_bytes", {{"part", "block_cache"}},
           static_cast<double>(memory.block_cache));
  double places = 0, applied = 0;
  s.engine->WithModel([&](const Model& m) {
    places = static_cast<double>(m.place_count());
    applied = static_cast<double>(m.events_applied());
    return 0;
  });
  w.Family("locus_places", "gauge", "Places the model knows.");
  w.Sample("locus_places", {}, places);
  w.Family("locus_model_events_applied", "gauge", "Events in the state (survives restarts).");
  w.Sample("locus_model_events_applied", {}, applied);
  w.Family("locus_answer_latency_seconds", "histogram",
           "Time the engine took to answer a request, requests topic and HTTP alike.");
  w.Histogram("locus_answer_latency_seconds", {}, s.engine->counters().answer_latency.Read());
  w.Family("locus_retrains_total", "counter", "Full factor retrains finished by this process.");
  w.Sample("locus_retrains_total", {}, static_cast<double>(s.engine->retrainer().completed()));
  w.Family("locus_retrain_seconds", "gauge", "Wall time of the last full factor retrain.");
  w.Sample("locus_retrain_seconds", {}, s.engine->retrainer().last_seconds());
  w.Family("locus_retrain_wait_seconds_total", "counter",
           "Time ingestion waited for a retrain to finish training (events faster than real "
           "time: the retrained model is installed at a fixed point in event time).");
  w.Sample("locus_retrain_wait_seconds_total", {}, s.engine->retrainer().waited_seconds());
  w.Family("locus_model_info", "gauge", "The model_version answers carry (value is always 1).");
  w.Sample("locus_model_info", {{"model_version", s.engine->model_version()}}, 1);
  return {200, w.text(), "text/plain; version=0.0.4; charset=utf-8"};
}

}  // namespace locus::http
