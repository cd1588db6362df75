// `locus`: the command line. Flags are parsed here; the work is in commands.cc.
// Exit codes: 0 ok; 1 runtime failure; 2 bad usage or configuration; 3 `recommend` got an
// error answer (unknown activity, invalid request).
#include "src/cli/commands.h"
#include "src/engine/allocator.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

int main(int argc, char** argv) {
  locus::TuneAllocator();
  // Logs go to stderr: stdout carries results (the bootstrap line, tables, dumps).
  spdlog::set_default_logger(spdlog::stderr_color_mt("locus"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"locus: where to go for an activity, learned from a Kafka event stream"};
  app.require_subcommand(1);
  std::string config_path;
  app.add_option("--config", config_path, "YAML config file (default: built-in defaults)")
      ->check(CLI::ExistingFile);

  int brokers = 3;
  auto* broker = app.add_subcommand("broker", "run only the embedded Kafka cluster");
  broker->add_option("--brokers", brokers, "number of brokers")->check(CLI::Range(1, 16));
  broker->add_option("--config", config_path, "YAML config file")->check(CLI::ExistingFile);

  locus::cli::ServeArgs serve_args;
  auto* serve = app.add_subcommand("serve", "run the engine (embedded Kafka unless --bootstrap)");
  serve->add_option("--bootstrap", serve_args.bootstrap, "Kafka bootstrap servers");
  serve->add_option("--data-dir", serve_args.data_dir, "state directory (RocksDB)");
  serve->add_option("--config", config_path, "YAML config file")->check(CLI::ExistingFile);
  serve->add_option("--exit-when-idle", serve_args.exit_when_idle_s,
                    "stop once every partition is read and S seconds pass without input");
  std::string serve_http;
  auto* http_opt = serve->add_option(
      "--http", serve_http,
      "HOST:PORT of the HTTP API and web page (default: http.listen, 127.0.0.1:8080; \"\" "
      "turns it off; port 0 picks a free one)");
  serve
      ->add_option("--web-dir", serve_args.web_dir,
                   "folder of the web page (default: web/ of the source tree)")
      ->check(CLI::ExistingDirectory);

  locus::cli::ImportArgs import_args;
  auto* import = app.add_subcommand("import", "publish a check-in file as places and events");
  import->add_option("file", import_args.file, "check-in TSV (.xz or plain)")
      ->required()
      ->check(CLI::ExistingFile);
  import->add_option("--bootstrap", import_args.bootstrap, "Kafka bootstrap servers");
  import->add_option("--config", config_path, "YAML config file")->check(CLI::ExistingFile);
  import->add_option("--max-lag", import_args.max_lag,
                     "largest engine lag per partition before waiting (0: no pacing)");
  import->add_option("--wait", import_args.wait_s,
                     "then wait up to S seconds until the engine has read everything");
  bool no_progress = false;
  import->add_flag("--no-progress", no_progress, "print no progress");

  locus::cli::RecommendArgs rec;
  double lat = 0, lon = 0, radius = 0;
  auto* recommend = app.add_subcommand("recommend", "ask for places through the request topic");
  recommend->add_option("activity", rec.activity, "what to do, e.g. coffee")->required();
  recommend->add_option("--user", rec.user, "user id");
  auto* lat_opt = recommend->add_option("--lat", lat, "latitude")->check(CLI::Range(-90.0, 90.0));
  auto* lon_opt =
      recommend->add_option("--lon", lon, "longitude")->check(CLI::Range(-180.0, 180.0));
  auto* radius_opt = recommend->add_option("--radius-km", radius, "only places within this");
  recommend->add_option("--k", rec.k, "number of places")->check(CLI::Range(1, 100));
  recommend->add_option("--bootstrap", rec.bootstrap, "Kafka bootstrap servers");
  recommend->add_option("--timeout-ms", rec.timeout_ms, "how long to wait for the answer");
  recommend->add_option("--config", config_path, "YAML config file")->check(CLI::ExistingFile);

  std::string dump_dir;
  auto* state = app.add_subcommand("state", "inspect a state directory");
  state->require_subcommand(1);
  auto* dump = state->add_subcommand("dump", "every state entry in a stable order");
  dump->add_option("--data-dir", dump_dir, "state directory")->required();
  bool dump_learned = false;
  dump->add_flag("--learned", dump_learned,
                 "also print learned parameters (blend weights), which depend on arrival order");

  locus::cli::SnapshotArgs snapshot_args;
  auto* snapshot = app.add_subcommand(
      "snapshot", "write one snapshot of a state directory to MySQL (serve does it periodically)");
  snapshot->add_option("--data-dir", snapshot_args.data_dir, "state directory no engine holds")
      ->required();
  snapshot->add_option("--config", config_path, "YAML config file")->check(CLI::ExistingFile);

  locus::cli::EvalArgs eval_args;
  auto* eval = app.add_subcommand(
      "eval", "protocol NV-A (EVAL.md) on a check-in file, or RMSE/MAE on a ratings folder");
  eval->add_option("data", eval_args.data,
                   "check-in TSV (.xz or plain), or a folder with rating_final.csv (UCI "
                   "restaurants: global_mean, bias and locus on a seeded 80/20 split)")
      ->required()
      ->check(CLI::ExistingPath);
  eval->add_option("--out", eval_args.out,
                   "folder for metrics.json and plot.svg (ratings: ratings.json)");
  eval->add_option("--methods", eval_args.methods,
                   "comma-separated: pop,pop_near,user_hist,locus (default: all)");
  eval->add_option("--config", config_path, "YAML config file")->check(CLI::ExistingFile);
  bool eval_quiet = false;
  eval->add_flag("--no-progress", eval_quiet, "print no progress");

  locus::cli::GenCityArgs gen;
  auto* gen_city = app.add_subcommand("gen-city", "write a seeded synthetic check-in file");
  gen_city->add_option("--out", gen.out, "output TSV")->required();
  gen_city->add_option("--seed", gen.seed, "random seed");
  gen_city->add_option("--places", gen.places, "venues");
  gen_city->add_option("--users", gen.users, "users");
  gen_city->add_option("--checkins", gen.checkins, "check-ins");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; any usage error exits 2 (CLI11's own codes are 100+).
    return app.exit(e) == 0 ? 0 : 2;
  }
  locus::cli::InstallSignalHandlers();

  if (*broker) return locus::cli::Broker(config_path, brokers);
  if (*serve) {
    serve_args.config_path = config_path;
    if (*http_opt) serve_args.http = serve_http;
    return locus::cli::Serve(serve_args);
  }
  if (*import) {
    import_args.config_path = config_path;
    import_args.progress = !no_progress;
    return locus::cli::Import(import_args);
  }
  if (*recommend) {
    rec.config_path = config_path;
    if (*lat_opt) rec.lat = lat;
    if (*lon_opt) rec.lon = lon;
    if (*radius_opt) rec.radius_km = radius;
    return locus::cli::RecommendCmd(rec);
  }
  if (*dump) return locus::cli::StateDump(dump_dir, std::cout, dump_learned);
  if (*gen_city) return locus::cli::GenCity(gen);
  if (*snapshot) {
    snapshot_args.config_path = config_path;
    return locus::cli::Snapshot(snapshot_args);
  }
  if (*eval) {
    eval_args.config_path = config_path;
    eval_args.progress = !eval_quiet;
    return locus::cli::Eval(eval_args);
  }
  return 2;
}
