#include "src/cli/commands.h"

#include "consumers/embedded_cluster.h"
#include "consumers/engine_loop.h"
#include "consumers/importer.h"
#include "consumers/request_client.h"
#include "http/endpoint.h"
#include "snapshot/periodic.h"
#include "src/cli/table.h"
#include "src/config/config_loader.h"
#include "src/core/bytes.h"
#include "src/engine/engine.h"
#include "src/eval/locus_method.h"
#include "src/eval/ratings.h"
#include "src/eval/reference_methods.h"
#include "src/eval/report.h"
#include "src/io/progress.h"
#include "src/synth/synth_city.h"
#include "state/state_store.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace locus::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

std::optional<Config> Load(const std::string& path) {
  auto c = LoadConfig(path);
  if (!c.ok()) {
    std::cerr << "locus: " << c.error() << "\n";
    return std::nullopt;
  }
  return std::move(*c);
}

std::vector<std::string> Topics(const KafkaConfig& k) {
  return {k.places_topic,     k.events_topic,   k.requests_topic, k.responses_topic,
          k.deadletter_topic, k.by_place_topic, k.model_topic};
}

kafka::Properties Client(const KafkaConfig& k) { return KafkaClientProperties(k); }

EngineOptions MakeEngineOptions(const Config& c) {
  EngineOptions o;
  o.model.popularity_half_life_days = c.model.popularity_half_life_days;
  o.model.visit_weight = c.model.visit_weight;
  o.model.click_weight = c.model.click_weight;
  o.model.distance_scale_km = c.model.distance_scale_km;
  o.model.retrain_every_days = c.model.retrain_every_days;
  o.model.retrain_install_after_minutes = c.model.retrain_install_after_minutes;
  o.model.retrain_install_waits = c.model.retrain_install_waits;
  o.model.als.factors = c.model.retrain_factors;
  o.model.als.iterations = c.model.retrain_iterations;
  o.model.als.threads = c.model.retrain_threads;
  o.model.blend_full_events = c.model.blend_full_events;
  o.model.covisit_row_limit = static_cast<size_t>(c.model.covisit_row_limit);
  o.model.aliases = c.activities.aliases;
  o.recommend.default_k = c.requests.default_k;
  o.recommend.max_k = c.requests.max_k;
  o.flush_events = c.state.flush_events;
  o.flush_interval_ms = c.state.flush_interval_ms;
  o.scale_out.events_topic = c.kafka.events_topic;
  o.scale_out.by_place_topic = c.kafka.by_place_topic;
  o.scale_out.model_topic = c.kafka.model_topic;
  return o;
}

snapshot::SnapshotterOptions MakeSnapshotterOptions(const Config& c) {
  const EngineOptions engine = MakeEngineOptions(c);
  snapshot::SnapshotterOptions o;
  o.mysql = c.mysql;
  o.content.model = engine.model;
  o.content.model_version = engine.recommend.model_version;
  return o;
}

}  // namespace

std::atomic<bool>& StopFlag() { return g_stop; }

void InstallSignalHandlers() {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
}

int Broker(const std::string& config_path, int brokers) {
  auto config = Load(config_path);
  if (!config) return 2;
  auto cluster =
      kafka::EmbeddedCluster::Start(brokers, Topics(config->kafka), config->kafka.partitions);
  if (!cluster.ok()) {
    std::cerr << "locus broker: " << cluster.error() << "\n";
    return 1;
  }
  std::cout << "bootstrap: " << (*cluster)->bootstrap() << std::endl;
  spdlog::info("embedded Kafka cluster: {} brokers, {} partitions per topic", brokers,
               config->kafka.partitions);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  spdlog::info("stopping the embedded cluster");
  return 0;
}

int Serve(const ServeArgs& args) {
  auto config = Load(args.config_path);
  if (!config) return 2;
  if (!args.bootstrap.empty()) config->kafka.bootstrap_servers = args.bootstrap;
  if (!args.data_dir.empty()) config->state.data_dir = args.data_dir;
  const std::string listen = args.http.value_or(config->http.listen);
  if (!listen.empty()) {
    auto address = http::ParseListen(listen);
    if (!address.ok()) {
      std::cerr << "locus serve: --http: " << address.error() << "\n";
      return 2;
    }
  }

  std::unique_ptr<kafka::EmbeddedCluster> cluster;
  kafka::Properties client = Client(config->kafka);
  if (config->kafka.bootstrap_servers.empty()) {
    auto c = kafka::EmbeddedCluster::Start(config->kafka.embedded_brokers, Topics(config->kafka),
                                           config->kafka.partitions);
    if (!c.ok()) {
      std::cerr << "locus serve: " << c.error() << "\n";
      return 1;
    }
    cluster = std::move(*c);
    client["bootstrap.servers"] = cluster->bootstrap();
    std::cout << "bootstrap: " << cluster->bootstrap() << std::endl;
  }

  auto store = StateStore::Open(config->state.data_dir, /*read_only=*/false,
                                /*defer_compactions=*/true);
  if (!store.ok()) {
    std::cerr << "locus serve: " << store.error() << "\n";
    return 1;
  }
  EngineOptions engine_options = MakeEngineOptions(*config);
  if (config->kafka.scale_out) {
    // The split follows the events topic's partitions (EngineLoop checks the other topics).
    auto n = kafka::TopicPartitionCount(client, config->kafka.events_topic);
    if (!n.ok()) {
      std::cerr << "locus serve: kafka.scale_out: " << n.error() << "\n";
      return 1;
    }
    engine_options.scale_out.partitions = *n;
  }
  auto engine = Engine::Open(engine_options, std::move(*store));
  if (!engine.ok()) {
    std::cerr << "locus serve: " << engine.error() << "\n";
    return 1;
  }
  (*engine)->WithModel([](const Model& m) {
    spdlog::info("state loaded: {} places, {} events applied", m.place_count(), m.events_applied());
    return 0;
  });
  // MySQL snapshots on their own thread: they read RocksDB snapshots of the store, never the
  // engine's model or lock, and keep retrying while MySQL is away. Declared after the engine,
  // so it stops before the store closes.
  std::unique_ptr<snapshot::PeriodicSnapshots> snapshots;
  if (config->mysql.snapshot_interval_s > 0) {
    const StateStore& state = (*engine)->store();
    snapshots = snapshot::PeriodicSnapshots::Start(
        MakeSnapshotterOptions(*config), [&state] { return state.ConsistentView(); },
        {.interval_s = static_cast<double>(config->mysql.snapshot_interval_s)});
    spdlog::info("MySQL snapshots to {} every {} s", snapshot::DescribeServer(config->mysql),
                 config->mysql.snapshot_interval_s);
  }
  kafka::LoopOptions lo;
  lo.kafka = config->kafka;
  lo.client = client;
  lo.exit_when_idle_s = args.exit_when_idle_s;
  lo.request_workers = config->requests.workers;
  {
    // One identity per host and state directory: a restart of the same instance fences its
    // predecessor's open transaction, and instances on other hosts (containers with the same
    // paths) differ.
    std::error_code ec;
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    const std::string id =
        std::string(host) + ":" + std::filesystem::absolute(config->state.data_dir, ec).string();
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(id));
    lo.transactional_id = config->kafka.group_id + "-" + hash;
  }
  auto loop = kafka::EngineLoop::Create(**engine, lo);
  if (!loop.ok()) {
    std::cerr << "locus serve: " << loop.error() << "\n";
    return 1;
  }
  // The HTTP API reads the engine, the loop's and the snapshots' counters; it stops first.
  std::unique_ptr<http::Endpoint> http_endpoint;
  if (!listen.empty()) {
    http::ServerSources sources;
    sources.engine = engine->get();
    sources.loop = &(*loop)->counters();
    sources.snapshots = snapshots ? &snapshots->counters() : nullptr;
    auto e = http::Endpoint::Start(
        *config, {listen, args.web_dir.empty() ? LOCUS_WEB_DIR : args.web_dir, client}, sources);
    if (!e.ok()) {
      std::cerr << "locus serve: " << e.error() << "\n";
      return 1;
    }
    http_endpoint = std::move(*e);
    std::cout << "http: " << http_endpoint->url() << "/" << std::endl;
    spdlog::info("HTTP API on {}/ (metrics: {}/metrics)", http_endpoint->url(),
                 http_endpoint->url());
  }
  Status s = (*loop)->Run(g_stop);
  if (http_endpoint) http_endpoint->Stop();
  if (snapshots) snapshots->Stop();
  if (!s.ok()) {
    std::cerr << "locus serve: " << s.message() << "\n";
    return 1;
  }
  const auto& c = (*engine)->counters();
  spdlog::info("stopped cleanly: {} events applied, {} rejected, {} requests answered",
               c.events_applied.load(), c.events_rejected.load(),
               c.requests_ok.load() + c.requests_error.load());
  return 0;
}

int Import(const ImportArgs& args) {
  auto config = Load(args.config_path);
  if (!config) return 2;
  if (!args.bootstrap.empty()) config->kafka.bootstrap_servers = args.bootstrap;
  if (config->kafka.bootstrap_servers.empty()) {
    std::cerr << "locus import: --bootstrap (or kafka.bootstrap_servers) is required\n";
    return 2;
  }
  kafka::ImportOptions o;
  o.kafka = config->kafka;
  o.client = Client(config->kafka);
  o.max_lag_per_partition = args.max_lag;
  o.progress = args.progress;
  o.wait_for_engine_s = args.wait_s;
  o.stop = &g_stop;
  auto stats = kafka::ImportCheckins(args.file, o);
  if (!stats.ok()) {
    std::cerr << "locus import: " << stats.error() << "\n";
    return 1;
  }
  std::printf("imported %s: %lld places, %lld events (%lld malformed lines skipped) in %.1f s\n",
              args.file.c_str(), static_cast<long long>(stats->places),
              static_cast<long long>(stats->events), static_cast<long long>(stats->skipped),
              stats->seconds);
  return 0;
}

int RecommendCmd(const RecommendArgs& args) {
  auto config = Load(args.config_path);
  if (!config) return 2;
  if (!args.bootstrap.empty()) config->kafka.bootstrap_servers = args.bootstrap;
  if (config->kafka.bootstrap_servers.empty()) {
    std::cerr << "locus recommend: --bootstrap (or kafka.bootstrap_servers) is required\n";
    return 2;
  }
  if (args.lat.has_value() != args.lon.has_value()) {
    std::cerr << "locus recommend: --lat and --lon go together\n";
    return 2;
  }
  auto client = kafka::RequestClient::Create(config->kafka, Client(config->kafka));
  if (!client.ok()) {
    std::cerr << "locus recommend: " << client.error() << "\n";
    return 1;
  }
  Query q;
  q.activity_text = args.activity;
  if (!args.user.empty()) q.user = UserId(args.user);
  if (args.lat) q.position = GeoPoint{*args.lat, *args.lon};
  q.radius_km = args.radius_km;
  q.k = args.k;
  auto answer = (*client)->Ask(q, args.timeout_ms);
  if (!answer.ok()) {
    std::cerr << "locus recommend: " << answer.error() << "\n";
    return 1;
  }
  PrintAnswer(q, *answer, std::cout);
  return answer->ok ? 0 : 3;
}

int StateDump(const std::string& data_dir, std::ostream& out, bool learned) {
  auto store = StateStore::Open(data_dir, /*read_only=*/true);
  if (!store.ok()) {
    std::cerr << "locus state dump: " << store.error() << "\n";
    return 1;
  }
  auto applied = (*store)->Get(Space::kMeta, "events_applied");
  int64_t n = 0;
  if (applied && !ByteReader(*applied).I64(n)) n = 0;
  out << "events_applied " << n << "\n";
  for (Space space : kAllSpaces) {
    if (space == Space::kLearned && !learned) continue;
    Status s = (*store)->Scan(space, [&](std::string_view key, std::string_view value) {
      out << Model::DescribeEntry(space, key, value) << "\n";
    });
    if (!s.ok()) {
      std::cerr << "locus state dump: " << s.message() << "\n";
      return 1;
    }
  }
  return 0;
}

int Snapshot(const SnapshotArgs& args) {
  auto config = Load(args.config_path);
  if (!config) return 2;
  auto store = StateStore::Open(args.data_dir, /*read_only=*/true);
  if (!store.ok()) {
    std::cerr << "locus snapshot: " << store.error() << "\n";
    return 1;
  }
  snapshot::Snapshotter snapshotter(MakeSnapshotterOptions(*config));
  auto migrated = snapshotter.Prepare();
  if (!migrated.ok()) {
    std::cerr << "locus snapshot: " << migrated.error() << "\n";
    return 1;
  }
  auto written = snapshotter.Snapshot([&] { return (*store)->ConsistentView(); });
  if (!written.ok()) {
    std::cerr << "locus snapshot: " << written.error() << "\n";
    return 1;
  }
  std::printf(
      "snapshot %lld written to %s: %lld rows in %.3f s (state %.3f s, MySQL %.3f s); "
      "%zu migration(s) applied, %lld old snapshot(s) pruned; content hash %s\n",
      static_cast<long long>(written->id), snapshotter.where().c_str(),
      static_cast<long long>(written->rows), written->build_seconds + written->write_seconds,
      written->build_seconds, written->write_seconds, migrated->applied.size(),
      static_cast<long long>(written->pruned), written->hash.c_str());
  return 0;
}

int Eval(const EvalArgs& args) {
  auto config = Load(args.config_path);
  if (!config) return 2;
  if (eval::IsRatingsDir(args.data)) {  // explicit ratings: RMSE/MAE on a seeded 80/20 split
    auto report = eval::EvaluateRatings(args.data);
    Status written = report.ok() ? eval::WriteRatingsReport(*report, args.out) : report.status();
    if (!written.ok()) {
      std::cerr << "locus eval: " << written.message() << "\n";
      return 1;
    }
    eval::PrintRatingsTable(*report, std::cout);
    std::cout << "wrote " << args.out << "/ratings.json\n";
    return 0;
  }
  auto data = eval::LoadCheckins(args.data);
  if (!data.ok()) {
    std::cerr << "locus eval: " << data.error() << "\n";
    return 1;
  }
  std::vector<std::unique_ptr<eval::Method>> methods;
  std::string wanted = args.methods.empty() ? "pop,pop_near,user_hist,locus" : args.methods;
  std::stringstream names(wanted);
  for (std::string name; std::getline(names, name, ',');) {
    if (name == "pop") {
      methods.push_back(eval::MakePop());
    } else if (name == "pop_near") {
      methods.push_back(eval::MakePopNear());
    } else if (name == "user_hist") {
      methods.push_back(eval::MakeUserHist());
    } else if (name == "locus") {
      methods.push_back(eval::MakeLocusMethod(MakeEngineOptions(*config).model,
                                              std::make_unique<LearnedScorer>()));
    } else {
      std::cerr << "locus eval: unknown method '" << name
                << "' (known: pop, pop_near, user_hist, locus)\n";
      return 2;
    }
  }
  Progress progress("check-ins", static_cast<int64_t>(data->rows.size()), args.progress);
  eval::ReplayResult result = eval::Replay(
      *data, methods, [&](size_t done, size_t) { progress.Update(static_cast<int64_t>(done)); });
  progress.Finish(static_cast<int64_t>(data->rows.size()));
  eval::PrintTable(result, std::cout);
  Status s = eval::WriteReport(result, args.out);
  if (!s.ok()) {
    std::cerr << "locus eval: " << s.message() << "\n";
    return 1;
  }
  std::cout << "wrote " << args.out << "/metrics.json and " << args.out << "/plot.svg\n";
  return 0;
}

int GenCity(const GenCityArgs& args) {
  synth::CityOptions o;
  o.seed = args.seed;
  o.places = args.places;
  o.users = args.users;
  o.checkins = args.checkins;
  std::ofstream f(args.out, std::ios::binary);
  if (!f) {
    std::cerr << "locus gen-city: cannot write " << args.out << "\n";
    return 1;
  }
  synth::WriteCheckins(o, f);
  f.close();
  if (!f) {
    std::cerr << "locus gen-city: writing " << args.out << " failed\n";
    return 1;
  }
  return 0;
}

}  // namespace locus::cli
