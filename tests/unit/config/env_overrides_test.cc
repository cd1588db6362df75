#include "src/config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

namespace locus {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(EnvOverridesTest, OverridesStringIntAndBoolFields) {
  Config config;
  ASSERT_TRUE(ApplyEnvOverrides(config, {{"LOCUS_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092"},
                                         {"LOCUS_MYSQL_PORT", "3306"},
                                         {"LOCUS_MYSQL_EXPORT_USER_ROWS", "true"},
                                         {"LOCUS_MODEL_CLICK_WEIGHT", "0.5"}})
                  .ok());
  EXPECT_EQ(config.kafka.bootstrap_servers, "k1:9092,k2:9092");
  EXPECT_EQ(config.mysql.port, 3306);
  EXPECT_TRUE(config.mysql.export_user_rows);
  EXPECT_EQ(config.model.click_weight, 0.5);
  EXPECT_EQ(config.mysql.host, "127.0.0.1");  // untouched
}

TEST(EnvOverridesTest, EveryScalarFieldHasAVariable) {
  const std::map<std::string, std::string> env = {
      {"LOCUS_KAFKA_BOOTSTRAP_SERVERS", "k:1"},
      {"LOCUS_KAFKA_EMBEDDED_BROKERS", "2"},
      {"LOCUS_KAFKA_PARTITIONS", "3"},
      {"LOCUS_KAFKA_GROUP_ID", "g"},
      {"LOCUS_KAFKA_PLACES_TOPIC", "p"},
      {"LOCUS_KAFKA_EVENTS_TOPIC", "e"},
      {"LOCUS_KAFKA_REQUESTS_TOPIC", "rq"},
      {"LOCUS_KAFKA_RESPONSES_TOPIC", "rs"},
      {"LOCUS_KAFKA_DEADLETTER_TOPIC", "d"},
      {"LOCUS_KAFKA_SESSION_TIMEOUT_MS", "7000"},
      {"LOCUS_STATE_DATA_DIR", "/data"},
      {"LOCUS_STATE_FLUSH_EVENTS", "9"},
      {"LOCUS_STATE_FLUSH_INTERVAL_MS", "90"},
      {"LOCUS_MODEL_POPULARITY_HALF_LIFE_DAYS", "3.5"},
      {"LOCUS_MODEL_VISIT_WEIGHT", "2"},
      {"LOCUS_MODEL_CLICK_WEIGHT", "0"},
      {"LOCUS_MODEL_DISTANCE_SCALE_KM", "4"},
      {"LOCUS_REQUESTS_DEFAULT_K", "5"},
      {"LOCUS_REQUESTS_MAX_K", "50"},
      {"LOCUS_MYSQL_HOST", "db"},
      {"LOCUS_MYSQL_PORT", "1"},
      {"LOCUS_MYSQL_SOCKET", "/s"},
      {"LOCUS_MYSQL_DATABASE", "x"},
      {"LOCUS_MYSQL_USER", "u"},
      {"LOCUS_MYSQL_PASSWORD", "pw"},
      {"LOCUS_MYSQL_SNAPSHOT_INTERVAL_S", "0"},
      {"LOCUS_MYSQL_KEEP_SNAPSHOTS", "1"},
      {"LOCUS_MYSQL_EXPORT_USER_ROWS", "yes"},
      {"LOCUS_HTTP_LISTEN", "[::1]:80"},
      {"LOCUS_HTTP_TOKEN", "t"},
  };
  Config c;
  const Status s = ApplyEnvOverrides(c, env);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.kafka.bootstrap_servers, "k:1");
  EXPECT_EQ(c.kafka.embedded_brokers, 2);
  EXPECT_EQ(c.kafka.partitions, 3);
  EXPECT_EQ(c.kafka.group_id, "g");
  EXPECT_EQ(c.kafka.places_topic, "p");
  EXPECT_EQ(c.kafka.events_topic, "e");
  EXPECT_EQ(c.kafka.requests_topic, "rq");
  EXPECT_EQ(c.kafka.responses_topic, "rs");
  EXPECT_EQ(c.kafka.deadletter_topic, "d");
  EXPECT_EQ(c.kafka.session_timeout_ms, 7000);
  EXPECT_EQ(c.state.data_dir, "/data");
  EXPECT_EQ(c.state.flush_events, 9);
  EXPECT_EQ(c.state.flush_interval_ms, 90);
  EXPECT_EQ(c.model.popularity_half_life_days, 3.5);
  EXPECT_EQ(c.model.visit_weight, 2.0);
  EXPECT_EQ(c.model.click_weight, 0.0);
  EXPECT_EQ(c.model.distance_scale_km, 4.0);
  EXPECT_EQ(c.requests.default_k, 5);
  EXPECT_EQ(c.requests.max_k, 50);
  EXPECT_EQ(c.mysql.host, "db");
  EXPECT_EQ(c.mysql.port, 1);
  EXPECT_EQ(c.mysql.socket, "/s");
  EXPECT_EQ(c.mysql.database, "x");
  EXPECT_EQ(c.mysql.user, "u");
  EXPECT_EQ(c.mysql.password, "pw");
  EXPECT_EQ(c.mysql.snapshot_interval_s, 0);
  EXPECT_EQ(c.mysql.keep_snapshots, 1);
  EXPECT_TRUE(c.mysql.export_user_rows);
  EXPECT_EQ(c.http.listen, "[::1]:80");
  EXPECT_EQ(c.http.token, "t");
}

TEST(EnvOverridesTest, EmptyValueClearsAString) {
  Config config;
  config.http.token = "secret";
  ASSERT_TRUE(ApplyEnvOverrides(config, {{"LOCUS_HTTP_TOKEN", ""}}).ok());
  EXPECT_EQ(config.http.token, "");
}

TEST(EnvOverridesTest, UnparsableValueIsAnErrorNamingTheVariable) {
  const std::map<std::string, std::string> cases = {
      {"LOCUS_MYSQL_PORT", "db"},
      {"LOCUS_KAFKA_PARTITIONS", ""},
      {"LOCUS_MYSQL_EXPORT_USER_ROWS", "maybe"},
      {"LOCUS_MODEL_VISIT_WEIGHT", "1,5"},
  };
  for (const auto& [name, value] : cases) {
    SCOPED_TRACE(name);
    Config config;
    const Status s = ApplyEnvOverrides(config, {{name, value}});
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.message(), AllOf(HasSubstr("environment variable " + name), HasSubstr("expected"),
                                   HasSubstr("got '" + value + "'")));
  }
}

TEST(EnvOverridesTest, OutOfRangeValueIsAnErrorNamingTheVariableAndKey) {
  Config config;
  const Status s = ApplyEnvOverrides(config, {{"LOCUS_MYSQL_PORT", "70000"}});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(),
              HasSubstr("LOCUS_MYSQL_PORT (mysql.port): must be in 1..65535, got 70000"));
}

TEST(EnvOverridesTest, DefaultKAboveMaxKNamesTheVariable) {
  Config config;
  const Status s = ApplyEnvOverrides(config, {{"LOCUS_REQUESTS_MAX_K", "5"}});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), AllOf(HasSubstr("LOCUS_REQUESTS_MAX_K"),
                                 HasSubstr("requests.default_k must be <= requests.max_k (5)")));
}

TEST(EnvOverridesTest, IgnoresOtherLocusVariablesAndMaps) {
  Config config;
  const Status s = ApplyEnvOverrides(config, {{"LOCUS_SOURCE_DIR", "/src"},
                                              {"LOCUS_KAFKA_BOOTSTRAP_SERVER", "typo:1"},
                                              {"LOCUS_KAFKA_LIBRDKAFKA", "x"},
                                              {"LOCUS_ACTIVITIES_ALIASES", "x"},
                                              {"LOCUS_", ""},
                                              {"PATH", "/bin"}});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(config.kafka.bootstrap_servers, "");
  EXPECT_TRUE(config.kafka.librdkafka.empty());
  EXPECT_TRUE(config.activities.aliases.empty());
}

}  // namespace
}  // namespace locus
