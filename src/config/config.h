// locus configuration as plain structs. Every field carries its meaning and default right
// above it; config/locus.yaml documents the same fields for operators.
//
// Loading (see config_loader.h) maps YAML keys one to one onto these fields
// ("kafka.bootstrap_servers" -> Config::kafka.bootstrap_servers), applies LOCUS_* environment
// overrides, and rejects unknown keys.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace locus {

struct KafkaConfig {
  // Comma-separated host:port list of a real Kafka cluster. Empty (the default) starts the
  // embedded mock cluster in process. Env: LOCUS_KAFKA_BOOTSTRAP_SERVERS.
  std::string bootstrap_servers;
  // Brokers of the embedded cluster (ignored with bootstrap_servers set).
  int embedded_brokers = 3;
  // Partitions of every topic the embedded cluster creates at start.
  int partitions = 12;
  // Consumer group of the engine's consumers.
  std::string group_id = "locus";
  // Topic names.
  std::string places_topic = "locus.places";
  std::string events_topic = "locus.events";
  std::string requests_topic = "locus.requests";
  std::string responses_topic = "locus.responses";
  std::string deadletter_topic = "locus.deadletter";
  // Scale-out (README "Scale-out on Kafka"): the instances of one group split the users
  // (events partitions) and the rows summed over users (by-place partitions) between them,
  // facts travel through by_place_topic and aggregated rows through model_topic, which every
  // instance reads completely. Both must have as many partitions as events_topic. Off: an
  // instance aggregates only the events it reads itself (run one instance per group).
  bool scale_out = false;
  std::string by_place_topic = "locus.internal.by-place";
  std::string model_topic = "locus.model";
  // With scale_out: every this many seconds each instance publishes all the rows of its
  // by-place partitions to model_topic again, so that a reader that starts late still gets
  // them where the topic is not compacted (the embedded cluster keeps ~5 MiB per partition
  // and never compacts). 0: never (a real cluster's compaction keeps the newest of each row).
  int model_republish_s = 600;
  // With scale_out on a real cluster: facts and model rows go out in Kafka transactions (one
  // per commit of state), so read_committed readers never see those of an instance that died
  // before committing them. Correctness does not rest on it (facts are filtered by source
  // offset, rows installed at markers); the embedded cluster accepts transactions without
  // honouring them. The transactional.id is the group id and a hash of the host name and
  // state.data_dir (stable across restarts of one instance).
  bool exactly_once = false;
  // Consumer session timeout; librdkafka's 45 s default is far too slow to recover from a
  // crashed member on one machine.
  int session_timeout_ms = 6000;
  // Extra librdkafka properties passed through unchanged (e.g. "security.protocol": "SSL").
  // YAML: any other key under kafka.librdkafka.
  std::map<std::string, std::string> librdkafka;
};

struct StateConfig {
  // RocksDB data directory. Env: LOCUS_STATE_DATA_DIR.
  std::string data_dir = "var/state";
  // A batch of state changes and offsets is committed when it holds this many events...
  int flush_events = 20000;
  // ...or when its oldest change is this old.
  int flush_interval_ms = 200;
};

struct ModelConfig {
  // Half-life of the time-decayed activity-place popularity, in days (event time, not wall).
  double popularity_half_life_days = 30.0;
  // Weight of one visit and one click in the counters that drive scoring.
  double visit_weight = 1.0;
  double click_weight = 0.3;
  // Distance in km at which distance decay halves a place's geographic score.
  double distance_scale_km = 1.0;
  // Full factor retrain (ALS) every this many days of event time; 0 turns it off.
  double retrain_every_days = 1.0;
  // The retrained model is installed this many minutes (event time) after the period began.
  double retrain_install_after_minutes = 60.0;
  // If training is not done by then: wait for it (true) or go on and install it once done.
  bool retrain_install_waits = false;
  // Size, iterations and training threads of the full retrain.
  int retrain_factors = 32;
  int retrain_iterations = 15;
  int retrain_threads = 1;
  // The blend learns from every event until this many were applied, then from a deterministic
  // sample of share blend_full_events / events applied (0: every event).
  int blend_full_events = 20000;
  // Entries of a place's co-visit row, past which those counted once are cut back to it
  // (0: unbounded).
  int covisit_row_limit = 1024;
};

struct RequestConfig {
  // Items returned when a request has no k.
  int default_k = 10;
  // Largest k a request may ask for (the schema's bound).
  int max_k = 100;
  // Threads answering requests from the requests topic, beside the thread that applies
  // events (so answers never wait behind ingest, nor ingest behind answers).
  int workers = 2;
};

struct ActivitiesConfig {
  // Extra names for activities: alias -> activity as places name it
  // (e.g. "coffee": "Coffee Shop"). Matching folds case, accents and plurals.
  std::map<std::string, std::string> aliases;
};

struct MysqlConfig {
  // Server of the reporting snapshots. Env: LOCUS_MYSQL_HOST etc.
  std::string host = "127.0.0.1";
  int port = 3307;
  // Unix socket; when set it is used instead of host/port.
  std::string socket;
  std::string database = "locus";
  std::string user = "locus";
  std::string password = "locus";
  // Seconds between snapshots written by `locus serve`; 0 disables them.
  int snapshot_interval_s = 60;
  // Snapshots kept; older ones are pruned.
  int keep_snapshots = 48;
  // Export per-user rows (off: users appear only in aggregates).
  bool export_user_rows = false;
};

struct HttpConfig {
  // Listen address of the HTTP API. Env: LOCUS_HTTP_LISTEN.
  std::string listen = "127.0.0.1:8080";
  // Bearer token required by everything but health checks; empty disables the check.
  std::string token;
  // Largest request body accepted (bytes); larger ones get 413.
  int max_request_bytes = 65536;
  // Requests per second allowed per client address (token bucket), and the burst above it;
  // more get 429. Health checks are not limited.
  double rate_limit_per_s = 200;
  int rate_limit_burst = 400;
};

struct Config {
  KafkaConfig kafka;
  StateConfig state;
  ModelConfig model;
  RequestConfig requests;
  ActivitiesConfig activities;
  MysqlConfig mysql;
  HttpConfig http;
};

}  // namespace locus
