#include "http/metrics.h"

#include "http/rate_limiter.h"
#include "http/server.h"

#include <gtest/gtest.h>

#include <cmath>

namespace locus::http {
namespace {

TEST(MetricsWriterTest, WritesFamiliesSamplesAndEscapedLabels) {
  MetricsWriter w;
  w.Family("locus_x_total", "counter", "Things.");
  w.Sample("locus_x_total", {{"reason", "a\"b\\c\nd"}}, 3);
  w.Sample("locus_y", {}, 0.25);
  w.Sample("locus_z", {}, std::nan(""));
  EXPECT_EQ(w.text(),
            "# HELP locus_x_total Things.\n# TYPE locus_x_total counter\n"
            "locus_x_total{reason=\"a\\\"b\\\\c\\nd\"} 3\nlocus_y 0.25\nlocus_z NaN\n");
}

TEST(LatencyHistogramTest, BucketsAreCumulativeAndCountEqualsInf) {
  LatencyHistogram h;
  h.Observe(0.0001);  // first bucket
  h.Observe(0.003);   // <= 0.005
  h.Observe(100);     // only +Inf
  LatencyHistogram::View v = h.Read();
  EXPECT_EQ(v.count, 3u);
  EXPECT_NEAR(v.sum, 100.0031, 1e-9);
  EXPECT_EQ(v.cumulative[0], 1u);  // <= 0.0005
  EXPECT_EQ(v.cumulative[3], 2u);  // <= 0.005
  EXPECT_EQ(v.cumulative.back(), 2u);
  MetricsWriter w;
  w.Histogram("lat_seconds", {{"route", "/r"}}, v);
  EXPECT_NE(w.text().find("lat_seconds_bucket{route=\"/r\",le=\"0.0005\"} 1\n"), std::string::npos)
      << w.text();
  EXPECT_NE(w.text().find("lat_seconds_bucket{route=\"/r\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(w.text().find("lat_seconds_count{route=\"/r\"} 3\n"), std::string::npos);
}

TEST(RateLimiterTest, AllowsTheBurstThenTheRatePerClient) {
  RateLimiter limiter(/*rate_per_s=*/2, /*burst=*/3);
  const auto t0 = RateLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", t0)) << i;
  EXPECT_FALSE(limiter.Allow("a", t0));
  EXPECT_TRUE(limiter.Allow("b", t0)) << "each client has its own bucket";
  EXPECT_TRUE(limiter.Allow("a", t0 + std::chrono::milliseconds(500)));  // one token back
  EXPECT_FALSE(limiter.Allow("a", t0 + std::chrono::milliseconds(500)));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", t0 + std::chrono::seconds(60))) << i;
  EXPECT_FALSE(limiter.Allow("a", t0 + std::chrono::seconds(60))) << "never above the burst";
}

TEST(ParseListenTest, HostPortIpv6AndPortZero) {
  auto a = ParseListen("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 8080);
  auto b = ParseListen("[::1]:0");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first, "::1");
  EXPECT_EQ(b->second, 0);
  EXPECT_FALSE(ParseListen("localhost").ok());
  EXPECT_FALSE(ParseListen("h:99999").ok());
  EXPECT_FALSE(ParseListen("h:").ok());
}

}  // namespace
}  // namespace locus::http
