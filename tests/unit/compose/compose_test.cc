// compose/ without Docker: tests/tools/validate_compose.py parses every file (YAML, JSON) and
// checks them against config/locus.yaml and the exported metrics; the stack's config file
// and the locus service's environment (and each scaled instance's, docker-compose.scaled.yml)
// also go through locus's own config loader.
#include "src/config/config_loader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace locus {
namespace {

namespace fs = std::filesystem;

struct RunOutput {
  int code = -1;
  std::string out;
};

// Runs the validator on a repository root; stdout and the exit code.
RunOutput Validate(const std::string& root) {
  const std::string cmd =
      "/usr/bin/python3 '" LOCUS_SOURCE_DIR "/tests/tools/validate_compose.py' '" + root + "' 2>&1";
  RunOutput r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A copy of what the validator reads (compose/, config/, http/ops.cc) under a fresh temporary
// root, to be broken on purpose.
fs::path CopyStack(const std::string& tag) {
  const fs::path root =
      fs::temp_directory_path() / ("locus-compose-" + tag + "-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "http");
  fs::copy(LOCUS_SOURCE_DIR "/compose", root / "compose", fs::copy_options::recursive);
  fs::copy(LOCUS_SOURCE_DIR "/config", root / "config", fs::copy_options::recursive);
  fs::copy(LOCUS_SOURCE_DIR "/http/ops.cc", root / "http" / "ops.cc");
  return root;
}

// Replaces the first `from` in `path` with `to`; fails the test when `from` is not there.
void Rewrite(const fs::path& path, const std::string& from, const std::string& to) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const size_t at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << path;
  s.replace(at, from.size(), to);
  std::ofstream(path) << s;
}

TEST(ComposeTest, FilesParseAndAgreeWithTheConfig) {
  RunOutput r = Validate(LOCUS_SOURCE_DIR);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("PROBLEM"), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find("ok topics locus.deadletter locus.events locus.internal.by-place "
                 "locus.model locus.places locus.requests locus.responses with 12 partitions"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ok locus -> kafka kafka:9092, mysql mysql:3306, http :8080"),
            std::string::npos)
      << r.out;
}

TEST(ComposeTest, StackConfigAndEnvironmentLoadThroughTheLocusLoader) {
  RunOutput r = Validate(LOCUS_SOURCE_DIR);
  ASSERT_EQ(r.code, 0) << r.out;
  Result<Config> config = LoadConfig(LOCUS_SOURCE_DIR "/compose/locus.yaml");
  ASSERT_TRUE(config.ok()) << config.error();
  // The service's environment as compose passes it (${VAR:-} is empty when VAR is unset).
  std::map<std::string, std::string> env;
  std::istringstream lines(r.out);
  std::string line;
  const std::regex unset(R"(\$\{[A-Z_]+:-\})");
  while (std::getline(lines, line)) {
    if (!line.starts_with("ENV ")) continue;
    const size_t eq = line.find('=');
    env[line.substr(4, eq - 4)] = std::regex_replace(line.substr(eq + 1), unset, "");
  }
  ASSERT_FALSE(env.empty()) << r.out;
  Status s = ApplyEnvOverrides(*config, env);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(config->kafka.bootstrap_servers, "kafka:9092");
  EXPECT_EQ(config->mysql.host, "mysql");
  EXPECT_EQ(config->mysql.port, 3306);
  EXPECT_EQ(config->http.listen, "0.0.0.0:8080");
  EXPECT_EQ(config->http.token, "");
  EXPECT_EQ(config->state.data_dir, "/var/lib/locus/state");
}

// The validator is not a rubber stamp: a stack whose Prometheus scrapes the wrong port and
// whose topics have other partitions is refused, naming both.
TEST(ComposeTest, ValidatorRefusesAMismatchedStack) {
  const fs::path root = CopyStack("single");
  Rewrite(root / "compose" / "prometheus.yml", "locus:8080", "locus:9999");
  Rewrite(root / "compose" / "docker-compose.yml", "--topic locus.events --partitions 12",
          "--topic locus.events --partitions 3");
  RunOutput r = Validate(root.string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("PROBLEM prometheus: targets ['locus:9999'] miss locus:8080"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PROBLEM locus.events: not 12 partitions"), std::string::npos) << r.out;
  fs::remove_all(root);
}

// The scaled variant: three brokers in one KRaft quorum, the topics of the scale-out design
// with the config's partitions and three replicas, three instances in one group.
TEST(ComposeTest, ScaledStackParsesAndAgreesWithTheConfig) {
  RunOutput r = Validate(LOCUS_SOURCE_DIR);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("ok scaled brokers kafka-1 kafka-2 kafka-3: KRaft quorum "
                       "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093, replication 3, "
                       "min.insync.replicas 2"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ok scaled topics locus.deadletter locus.events locus.internal.by-place "
                       "locus.internal.changelog locus.model locus.places locus.requests "
                       "locus.responses with 12 partitions, 3 replicas"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ok scaled locus-1 locus-2 locus-3 -> kafka "
                       "kafka-1:9092,kafka-2:9092,kafka-3:9092, group locus, http :8081 :8082 "
                       ":8083, snapshots by locus-1"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("scrapes locus-1:8080 locus-2:8080 locus-3:8080"), std::string::npos)
      << r.out;
}

// Each scaled instance's configuration as locus itself loads it: compose/locus.yaml with that
// service's environment.
TEST(ComposeTest, ScaledInstancesLoadThroughTheLocusLoader) {
  RunOutput r = Validate(LOCUS_SOURCE_DIR);
  ASSERT_EQ(r.code, 0) << r.out;
  std::map<std::string, std::map<std::string, std::string>> envs;  // service -> environment
  std::istringstream lines(r.out);
  std::string line;
  const std::regex entry(R"(SCALED_ENV (\S+) ([A-Z_]+)=(.*))");
  const std::regex unset(R"(\$\{[A-Z_]+:-\})");
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, m, entry)) {
      envs[m[1]][m[2]] = std::regex_replace(m[3].str(), unset, "");
    }
  }
  ASSERT_EQ(envs.size(), 3u) << r.out;
  int snapshotting = 0;
  for (const auto& [service, env] : envs) {
    Result<Config> config = LoadConfig(LOCUS_SOURCE_DIR "/compose/locus.yaml");
    ASSERT_TRUE(config.ok()) << config.error();
    Status s = ApplyEnvOverrides(*config, env);
    ASSERT_TRUE(s.ok()) << service << ": " << s.message();
    EXPECT_EQ(config->kafka.bootstrap_servers, "kafka-1:9092,kafka-2:9092,kafka-3:9092") << service;
    EXPECT_EQ(config->kafka.group_id, "locus") << service;
    EXPECT_TRUE(config->kafka.scale_out) << service;
    EXPECT_TRUE(config->kafka.exactly_once) << service;
    EXPECT_EQ(config->kafka.partitions, 12) << service;
    EXPECT_EQ(config->state.data_dir, "/var/lib/locus/state") << service;
    EXPECT_EQ(config->http.listen, "0.0.0.0:8080") << service;
    EXPECT_EQ(config->mysql.host, "mysql") << service;
    EXPECT_EQ(config->mysql.port, 3306) << service;
    if (config->mysql.snapshot_interval_s > 0) ++snapshotting;
  }
  EXPECT_EQ(snapshotting, 1);
}

// The validator refuses a scaled stack whose brokers share a node id, whose instances share a
// state volume, whose changelog is partitioned unlike the events, whose Prometheus misses an
// instance and whose topic script leaves a shell variable to Compose's interpolation.
TEST(ComposeTest, ValidatorRefusesAMismatchedScaledStack) {
  const fs::path root = CopyStack("scaled");
  const fs::path scaled = root / "compose" / "docker-compose.scaled.yml";
  Rewrite(scaled, "KAFKA_NODE_ID: 3", "KAFKA_NODE_ID: 2");
  Rewrite(scaled, "locus-3-state:/var/lib/locus", "locus-2-state:/var/lib/locus");
  Rewrite(scaled, "--topic locus.internal.changelog --partitions 12",
          "--topic locus.internal.changelog --partitions 6");
  Rewrite(root / "compose" / "prometheus.scaled.yml", ", \"locus-3:8080\"", "");
  Rewrite(scaled, "$$b --describe", "$b --describe");  // Compose would interpolate $b
  RunOutput r = Validate(root.string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("PROBLEM scaled: node ids not unique"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PROBLEM scaled kafka-init: $b would be interpolated by Compose"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PROBLEM scaled: quorum voters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PROBLEM scaled: instances share state"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PROBLEM scaled locus.internal.changelog: not 12 partitions"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PROBLEM scaled prometheus: targets ['locus-1:8080', 'locus-2:8080'] "
                       "miss locus-3:8080"),
            std::string::npos)
      << r.out;
  fs::remove_all(root);
}

}  // namespace
}  // namespace locus
