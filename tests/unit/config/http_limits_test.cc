// The HTTP guards' settings (http.max_request_bytes, http.rate_limit_per_s,
// http.rate_limit_burst): loaded from YAML and the environment, ranges checked.
#include "src/config/config_loader.h"

#include <gtest/gtest.h>

#include <string>

namespace locus {
namespace {

TEST(HttpLimitsConfigTest, LoadFromYamlAndEnvironment) {
  Result<Config> c = LoadConfigFromString(
      "http:\n  max_request_bytes: 1024\n  rate_limit_per_s: 0.5\n  rate_limit_burst: 3\n",
      "h.yaml");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->http.max_request_bytes, 1024);
  EXPECT_DOUBLE_EQ(c->http.rate_limit_per_s, 0.5);
  EXPECT_EQ(c->http.rate_limit_burst, 3);
  Status s = ApplyEnvOverrides(*c, {{"LOCUS_HTTP_RATE_LIMIT_BURST", "9"}});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c->http.rate_limit_burst, 9);
}

TEST(HttpLimitsConfigTest, OutOfRangeValuesNameTheKey) {
  for (const std::string yaml : {"http: {max_request_bytes: 0}", "http: {rate_limit_per_s: 0}",
                                 "http: {rate_limit_burst: 0}", "http: {rate_limit_per_s: x}"}) {
    Result<Config> c = LoadConfigFromString(yaml, "h.yaml");
    ASSERT_FALSE(c.ok()) << yaml;
    const std::string key = yaml.substr(7, yaml.find(':', 7) - 7);
    EXPECT_NE(c.error().find("http." + key), std::string::npos) << c.error();
  }
}

}  // namespace
}  // namespace locus
