// compose/ without Docker: tests/tools/validate_compose.py parses every file (YAML, JSON) and
// checks them against config/locus.yaml and the exported metrics; the stack's config file
// and the locus service's environment also go through locus's own config loader.
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

TEST(ComposeTest, FilesParseAndAgreeWithTheConfig) {
  RunOutput r = Validate(LOCUS_SOURCE_DIR);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("PROBLEM"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok topics locus.deadletter locus.events locus.places locus.requests "
                       "locus.responses with 12 partitions"),
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
  const fs::path root = fs::temp_directory_path() / ("locus-compose-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "http");
  fs::copy(LOCUS_SOURCE_DIR "/compose", root / "compose", fs::copy_options::recursive);
  fs::copy(LOCUS_SOURCE_DIR "/config", root / "config", fs::copy_options::recursive);
  fs::copy(LOCUS_SOURCE_DIR "/http/ops.cc", root / "http" / "ops.cc");
  auto rewrite = [](const fs::path& path, const std::string& from, const std::string& to) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    const size_t at = s.find(from);
    ASSERT_NE(at, std::string::npos) << from << " not in " << path;
    s.replace(at, from.size(), to);
    std::ofstream(path) << s;
  };
  rewrite(root / "compose" / "prometheus.yml", "locus:8080", "locus:9999");
  rewrite(root / "compose" / "docker-compose.yml", "--topic locus.events --partitions 12",
          "--topic locus.events --partitions 3");
  RunOutput r = Validate(root.string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("PROBLEM prometheus: targets ['locus:9999'] miss locus:8080"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PROBLEM locus.events: not 12 partitions"), std::string::npos) << r.out;
  fs::remove_all(root);
}

}  // namespace
}  // namespace locus
