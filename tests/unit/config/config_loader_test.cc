#include "src/config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdlib.h>  // mkdtemp, setenv, unsetenv
#include <string>
#include <unistd.h>  // environ
#include <utility>
#include <vector>

namespace locus {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Every field, compared one by one, so a field the loader forgets shows up here.
void ExpectSameConfig(const Config& a, const Config& b) {
  EXPECT_EQ(a.kafka.bootstrap_servers, b.kafka.bootstrap_servers);
  EXPECT_EQ(a.kafka.embedded_brokers, b.kafka.embedded_brokers);
  EXPECT_EQ(a.kafka.partitions, b.kafka.partitions);
  EXPECT_EQ(a.kafka.group_id, b.kafka.group_id);
  EXPECT_EQ(a.kafka.places_topic, b.kafka.places_topic);
  EXPECT_EQ(a.kafka.events_topic, b.kafka.events_topic);
  EXPECT_EQ(a.kafka.requests_topic, b.kafka.requests_topic);
  EXPECT_EQ(a.kafka.responses_topic, b.kafka.responses_topic);
  EXPECT_EQ(a.kafka.deadletter_topic, b.kafka.deadletter_topic);
  EXPECT_EQ(a.kafka.session_timeout_ms, b.kafka.session_timeout_ms);
  EXPECT_EQ(a.kafka.librdkafka, b.kafka.librdkafka);
  EXPECT_EQ(a.state.data_dir, b.state.data_dir);
  EXPECT_EQ(a.state.flush_events, b.state.flush_events);
  EXPECT_EQ(a.state.flush_interval_ms, b.state.flush_interval_ms);
  EXPECT_EQ(a.model.popularity_half_life_days, b.model.popularity_half_life_days);
  EXPECT_EQ(a.model.visit_weight, b.model.visit_weight);
  EXPECT_EQ(a.model.click_weight, b.model.click_weight);
  EXPECT_EQ(a.model.distance_scale_km, b.model.distance_scale_km);
  EXPECT_EQ(a.requests.default_k, b.requests.default_k);
  EXPECT_EQ(a.requests.max_k, b.requests.max_k);
  EXPECT_EQ(a.requests.workers, b.requests.workers);
  EXPECT_EQ(a.activities.aliases, b.activities.aliases);
  EXPECT_EQ(a.mysql.host, b.mysql.host);
  EXPECT_EQ(a.mysql.port, b.mysql.port);
  EXPECT_EQ(a.mysql.socket, b.mysql.socket);
  EXPECT_EQ(a.mysql.database, b.mysql.database);
  EXPECT_EQ(a.mysql.user, b.mysql.user);
  EXPECT_EQ(a.mysql.password, b.mysql.password);
  EXPECT_EQ(a.mysql.snapshot_interval_s, b.mysql.snapshot_interval_s);
  EXPECT_EQ(a.mysql.keep_snapshots, b.mysql.keep_snapshots);
  EXPECT_EQ(a.mysql.export_user_rows, b.mysql.export_user_rows);
  EXPECT_EQ(a.http.listen, b.http.listen);
  EXPECT_EQ(a.http.token, b.http.token);
  EXPECT_EQ(a.http.max_request_bytes, b.http.max_request_bytes);
  EXPECT_EQ(a.http.rate_limit_per_s, b.http.rate_limit_per_s);
  EXPECT_EQ(a.http.rate_limit_burst, b.http.rate_limit_burst);
}

// Owns a fresh temp directory and runs with no LOCUS_* variables in the process
// environment (restored afterwards), so LoadConfig sees only what the test sets.
class LoadConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (std::filesystem::temp_directory_path() / "locus_config_XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      const std::string text(*entry);
      if (text.starts_with("LOCUS_") && text.find('=') != std::string::npos) {
        saved_env_.emplace_back(text.substr(0, text.find('=')), text.substr(text.find('=') + 1));
      }
    }
    for (const auto& [name, value] : saved_env_) unsetenv(name.c_str());
  }

  void TearDown() override {
    for (const std::string& name : set_env_) unsetenv(name.c_str());
    for (const auto& [name, value] : saved_env_) setenv(name.c_str(), value.c_str(), 1);
    std::filesystem::remove_all(dir_);
  }

  void SetEnv(const std::string& name, const std::string& value) {
    setenv(name.c_str(), value.c_str(), 1);
    set_env_.push_back(name);
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
  std::vector<std::pair<std::string, std::string>> saved_env_;
  std::vector<std::string> set_env_;
};

TEST_F(LoadConfigTest, WithoutAFileGivesTheDefaults) {
  const Result<Config> config = LoadConfig("");
  ASSERT_TRUE(config.ok()) << config.error();
  ExpectSameConfig(*config, Config{});
}

TEST_F(LoadConfigTest, EmptyOrCommentOnlyTextGivesTheDefaults) {
  for (const std::string text : {"", "\n\n", "# nothing here\n  # indented comment\n"}) {
    const std::string path = WriteFile("empty.yaml", text);
    const Result<Config> config = LoadConfig(path);
    ASSERT_TRUE(config.ok()) << config.error();
    ExpectSameConfig(*config, Config{});
  }
}

TEST_F(LoadConfigTest, ShippedFileEqualsTheDefaultsPlusItsAliases) {
  const Result<Config> config = LoadConfig(LOCUS_SOURCE_DIR "/config/locus.yaml");
  ASSERT_TRUE(config.ok()) << config.error();
  Config expected;
  expected.activities.aliases = {
      {"coffee", "Coffee Shop"},
      {"cafe", "Café"},
      {"climbing", "Climbing Gym"},
      {"bouldering", "Climbing Gym"},
      {"gym", "Gym / Fitness Center"},
      {"fitness", "Gym / Fitness Center"},
      {"brunch", "Breakfast Spot"},
      {"drinks", "Bar"},
      {"pub", "Bar"},
      {"pizza", "Pizza Place"},
      {"study", "Library"},
      {"library", "Library"},
      {"park", "Park"},
      {"museum", "Museum"},
  };
  ExpectSameConfig(*config, expected);
}

TEST_F(LoadConfigTest, EveryFieldCanBeSetFromYaml) {
  const Result<Config> config = LoadConfigFromString(R"(
kafka:
  bootstrap_servers: "k1:9092,k2:9092"
  embedded_brokers: 1
  partitions: 4
  group_id: g
  places_topic: p
  events_topic: e
  requests_topic: rq
  responses_topic: rs
  deadletter_topic: d
  session_timeout_ms: 10000
  librdkafka: {security.protocol: SSL}
state: {data_dir: /data, flush_events: 5, flush_interval_ms: 50}
model:
  popularity_half_life_days: 7.5
  visit_weight: 2
  click_weight: 0
  distance_scale_km: 0.5
requests: {default_k: 20, max_k: 50, workers: 4}
activities:
  aliases: {tea: Tea Room}
mysql:
  host: db
  port: 3306
  socket: /run/mysqld.sock
  database: d
  user: u
  password: pw
  snapshot_interval_s: 0
  keep_snapshots: 2
  export_user_rows: true
http: {listen: "0.0.0.0:9000", token: secret}
)",
                                                     "<test>");
  ASSERT_TRUE(config.ok()) << config.error();
  Config e;
  e.kafka = {.bootstrap_servers = "k1:9092,k2:9092",
             .embedded_brokers = 1,
             .partitions = 4,
             .group_id = "g",
             .places_topic = "p",
             .events_topic = "e",
             .requests_topic = "rq",
             .responses_topic = "rs",
             .deadletter_topic = "d",
             .session_timeout_ms = 10000,
             .librdkafka = {{"security.protocol", "SSL"}}};
  e.state = {.data_dir = "/data", .flush_events = 5, .flush_interval_ms = 50};
  e.model = {.popularity_half_life_days = 7.5,
             .visit_weight = 2.0,
             .click_weight = 0.0,
             .distance_scale_km = 0.5};
  e.requests = {.default_k = 20, .max_k = 50, .workers = 4};
  e.activities.aliases = {{"tea", "Tea Room"}};
  e.mysql = {.host = "db",
             .port = 3306,
             .socket = "/run/mysqld.sock",
             .database = "d",
             .user = "u",
             .password = "pw",
             .snapshot_interval_s = 0,
             .keep_snapshots = 2,
             .export_user_rows = true};
  e.http = {.listen = "0.0.0.0:9000", .token = "secret"};
  ExpectSameConfig(*config, e);
}

TEST_F(LoadConfigTest, UnknownNestedKeyIsAnErrorNamingTheDottedKeyAndFile) {
  const std::string path = WriteFile("typo.yaml", "kafka:\n  bootstrap_server: k:9092\n");
  const Result<Config> config = LoadConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error(),
              AllOf(HasSubstr(path + ": unknown key 'kafka.bootstrap_server'"),
                    HasSubstr("known keys in kafka: bootstrap_servers, embedded_brokers"),
                    HasSubstr("line 2")));
}

TEST_F(LoadConfigTest, UnknownTopLevelKeyIsAnErrorNamingKeyAndFile) {
  const std::string path = WriteFile("typo.yaml", "kafka: {}\nmodels:\n  visit_weight: 1\n");
  const Result<Config> config = LoadConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error(), AllOf(HasSubstr(path + ": unknown key 'models'"),
                                    HasSubstr("known keys at top level: kafka, state, model")));
}

TEST_F(LoadConfigTest, WrongTypeIsAnErrorNamingKeyOriginAndExpectedType) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kafka:\n  partitions: many\n", "kafka.partitions: expected an integer, got 'many'"},
      {"kafka:\n  partitions: 1.5\n", "kafka.partitions: expected an integer"},
      {"kafka:\n  partitions: [1, 2]\n", "kafka.partitions: expected an integer, got a list"},
      {"model:\n  visit_weight: heavy\n", "model.visit_weight: expected a number"},
      {"mysql:\n  export_user_rows: maybe\n", "mysql.export_user_rows: expected a boolean"},
      {"http:\n  token: {a: b}\n", "http.token: expected a string, got a map"},
      {"kafka: [a]\n", "kafka: expected a map, got a list"},
      {"kafka:\n  librdkafka: [a]\n", "kafka.librdkafka: expected a map"},
      {"kafka:\n  librdkafka:\n    linger.ms: [5]\n",
       "kafka.librdkafka.linger.ms: expected a scalar, got a list"},
      {"activities:\n  aliases: {tea: {a: b}}\n", "activities.aliases.tea: expected a scalar"},
      {"- kafka\n", "expected a map of sections, got a list"},
  };
  for (const auto& [yaml, message] : cases) {
    SCOPED_TRACE(yaml);
    const Result<Config> config = LoadConfigFromString(yaml, "my.yaml");
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.error(), AllOf(HasSubstr("my.yaml: "), HasSubstr(message)));
  }
}

TEST_F(LoadConfigTest, OutOfRangeValuesAreErrorsNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kafka: {partitions: 0}", "kafka.partitions: must be >= 1, got 0"},
      {"kafka: {embedded_brokers: 0}", "kafka.embedded_brokers: must be in 1..16, got 0"},
      {"kafka: {embedded_brokers: 17}", "kafka.embedded_brokers: must be in 1..16, got 17"},
      {"kafka: {session_timeout_ms: 0}", "kafka.session_timeout_ms: must be >= 1"},
      {"kafka: {partitions: 99999999999}", "kafka.partitions: must be in 1..2147483647"},
      {"kafka: {group_id: ''}", "kafka.group_id: must not be empty"},
      {"mysql: {port: 0}", "mysql.port: must be in 1..65535, got 0"},
      {"mysql: {port: 65536}", "mysql.port: must be in 1..65535, got 65536"},
      {"mysql: {snapshot_interval_s: -1}", "mysql.snapshot_interval_s: must be >= 0"},
      {"http: {listen: 'localhost'}", "http.listen: expected host:port"},
      {"http: {listen: 'localhost:0'}", "http.listen: expected host:port"},
      {"state: {flush_events: 0}", "state.flush_events: must be >= 1"},
      {"state: {flush_interval_ms: 0}", "state.flush_interval_ms: must be >= 1"},
      {"model: {popularity_half_life_days: 0}", "model.popularity_half_life_days: must be > 0"},
      {"model: {popularity_half_life_days: .inf}", "model.popularity_half_life_days: expected"},
      {"model: {distance_scale_km: -1}", "model.distance_scale_km: must be > 0"},
      {"model: {click_weight: -0.1}", "model.click_weight: must be >= 0"},
      {"requests: {max_k: 101}", "requests.max_k: must be in 1..100, got 101"},
      {"requests: {max_k: 0}", "requests.max_k: must be in 1..100, got 0"},
      {"requests: {workers: 0}", "requests.workers: must be in 1..64, got 0"},
      {"requests: {default_k: 0}", "requests.default_k: must be in 1..100, got 0"},
      {"requests: {default_k: 20, max_k: 10}",
       "requests.default_k must be <= requests.max_k (10), got 20"},
  };
  for (const auto& [yaml, message] : cases) {
    SCOPED_TRACE(yaml);
    const Result<Config> config = LoadConfigFromString(yaml, "my.yaml");
    ASSERT_FALSE(config.ok());
    EXPECT_THAT(config.error(), HasSubstr("my.yaml: " + message));
  }
}

TEST_F(LoadConfigTest, DuplicateKeysAreErrors) {
  const Result<Config> config = LoadConfigFromString("mysql:\n  port: 1\n  port: 2\n", "d.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error(), HasSubstr("d.yaml: duplicate key 'mysql.port' (line 3)"));
}

TEST_F(LoadConfigTest, InvalidYamlIsAnErrorNamingFileAndLine) {
  const Result<Config> config = LoadConfigFromString("kafka:\n  partitions: [1\n", "bad.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error(), AllOf(HasSubstr("bad.yaml: invalid YAML"), HasSubstr("line")));
}

TEST_F(LoadConfigTest, LibrdkafkaPropertiesWithTheirOwnFieldAreRejected) {
  const Result<Config> config =
      LoadConfigFromString("kafka:\n  librdkafka: {bootstrap.servers: k:9092}\n", "k.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error(),
              HasSubstr("kafka.librdkafka.bootstrap.servers: set kafka.bootstrap_servers instead"));
}

TEST_F(LoadConfigTest, MissingFileIsAnErrorNamingThePath) {
  const std::string path = (dir_ / "nope.yaml").string();
  const Result<Config> config = LoadConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error(), HasSubstr("'" + path + "' does not exist"));
}

TEST_F(LoadConfigTest, AppliesTheProcessEnvironmentAndIgnoresOtherLocusVariables) {
  const std::string path = WriteFile("c.yaml", "mysql:\n  port: 3306\nhttp:\n  token: file\n");
  SetEnv("LOCUS_HTTP_TOKEN", "from-env");
  SetEnv("LOCUS_SOURCE_DIR", "/somewhere");
  SetEnv("LOCUS_NOT_A_FIELD", "x");
  const Result<Config> config = LoadConfig(path);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->http.token, "from-env");
  EXPECT_EQ(config->mysql.port, 3306);
}

TEST_F(LoadConfigTest, BadProcessEnvironmentValueIsAnErrorNamingTheVariable) {
  SetEnv("LOCUS_MYSQL_PORT", "db");
  const Result<Config> config = LoadConfig("");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error(), HasSubstr("LOCUS_MYSQL_PORT"));
}

TEST(KafkaClientPropertiesTest, PassesLibrdkafkaThroughWithValuesAsStrings) {
  const Result<Config> config = LoadConfigFromString(R"(
kafka:
  bootstrap_servers: "k1:9092"
  librdkafka:
    security.protocol: SSL
    linger.ms: 5
    enable.idempotence: true
)",
                                                     "<test>");
  ASSERT_TRUE(config.ok()) << config.error();
  const std::map<std::string, std::string> expected = {{"bootstrap.servers", "k1:9092"},
                                                       {"security.protocol", "SSL"},
                                                       {"linger.ms", "5"},
                                                       {"enable.idempotence", "true"}};
  EXPECT_EQ(KafkaClientProperties(config->kafka), expected);
}

TEST(KafkaClientPropertiesTest, LeavesBootstrapServersToTheCallerForTheEmbeddedCluster) {
  KafkaConfig kafka;
  kafka.librdkafka = {{"client.id", "locus"}};
  const std::map<std::string, std::string> expected = {{"client.id", "locus"}};
  EXPECT_EQ(KafkaClientProperties(kafka), expected);
}

}  // namespace
}  // namespace locus
