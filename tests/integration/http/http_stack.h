// A locus stack with its HTTP API for the tests in this folder: `locus broker` + `locus serve
// --config FILE --http 127.0.0.1:0` (kafka/stack.h), the URL read from serve's stdout, a
// small city of places and visits published through Kafka, and helpers to call the API and
// to parse /metrics with the official Prometheus parser (python3-prometheus-client).
#pragma once

#include "tests/integration/http/http_client.h"
#include "tests/integration/kafka/plain_kafka.h"
#include "tests/integration/kafka/process.h"
#include "tests/integration/kafka/small_city.h"
#include "tests/integration/kafka/stack.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace locus::itest {

// Config for the HTTP tests: no MySQL snapshots, one alias, and a rate limit no test reaches
// by accident.
inline constexpr const char* kHttpTestConfig = R"(mysql:
  snapshot_interval_s: 0
activities:
  aliases:
    bouldering: Climbing Gym
http:
  rate_limit_burst: 100000
)";

// Waits for "http: URL" on the stdout file of serve; returns the port (0 on timeout).
inline int AwaitHttpPort(Child& serve, const std::string& stdout_path, seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline && serve.running()) {
    std::istringstream lines(ReadFileText(stdout_path));
    std::string line;
    while (std::getline(lines, line)) {
      constexpr std::string_view kPrefix = "http: http://";
      if (!line.starts_with(kPrefix)) continue;
      const size_t colon = line.rfind(':');
      return std::atoi(line.c_str() + colon + 1);
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  return 0;
}

class HttpStack {
 public:
  HttpStack(const TempDir& dir, const std::string& config_yaml = kHttpTestConfig)
      : dir_(dir), config_path_(WriteConfig(dir, config_yaml)) {
    stack_ = std::make_unique<Stack>(
        dir, std::vector<std::string>{"--config", config_path_, "--http", "127.0.0.1:0"});
    if (!stack_->ok()) return;
    port_ = AwaitHttpPort(stack_->serve(), dir / "serve.out", seconds(60));
    if (port_ == 0) ADD_FAILURE() << "no 'http:' line from serve\n" << stack_->ServeLog();
  }

  bool ok() const { return stack_ && stack_->ok() && port_ > 0; }
  Stack& stack() { return *stack_; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Publishes SmallCity() and waits until the engine consumed it.
  bool PublishSmallCity() {
    PlainProducer producer(stack_->bootstrap());
    for (const Record& r : SmallCity()) {
      Delivery d = producer.Send(r.topic, r.key, r.value);
      if (!d.ok) {
        ADD_FAILURE() << r.topic << " " << r.value << ": " << d.error;
        return false;
      }
    }
    if (!GroupCaughtUp(stack_->bootstrap(), "locus", "locus.events", 60000)) {
      ADD_FAILURE() << "the engine did not consume the events\n" << stack_->ServeLog();
      return false;
    }
    return true;
  }

  HttpReply Get(const std::string& target, const std::string& token = {}) {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return HttpRequest("127.0.0.1", port_, "GET", target, headers);
  }
  HttpReply Post(const std::string& target, const std::string& body,
                 const std::string& token = {}) {
    std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return HttpRequest("127.0.0.1", port_, "POST", target, headers, body);
  }

  // /metrics parsed by prometheus_client: "name{k="v",...}" (labels sorted) -> value, and
  // family name -> type. Empty (with a failure) when the text does not parse.
  struct Metrics {
    std::map<std::string, double> samples;
    std::map<std::string, std::string> types;
    double Get(const std::string& key) const {
      auto it = samples.find(key);
      return it == samples.end() ? -1 : it->second;
    }
  };
  Metrics ScrapeMetrics(const std::string& token = {}) {
    Metrics m;
    HttpReply r = Get("/metrics", token);
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string text_path = dir_ / "metrics.txt";
    std::ofstream(text_path) << r.body;
    RunResult parsed =
        RunToEnd({"/usr/bin/python3", LOCUS_SOURCE_DIR "/tests/integration/http/parse_metrics.py",
                  text_path},
                 seconds(60), dir_ / "parse_metrics.log");
    EXPECT_EQ(parsed.code, 0) << "prometheus_client rejects /metrics:\n"
                              << ReadFileText(dir_ / "parse_metrics.log") << "\n"
                              << r.body;
    std::istringstream lines(parsed.out);
    std::string kind, name, value;
    while (lines >> kind >> name >> value) {
      if (kind == "TYPE") m.types[name] = value;
      if (kind == "SAMPLE") m.samples[name] = std::stod(value);
    }
    return m;
  }

 private:
  static std::string WriteConfig(const TempDir& dir, const std::string& yaml) {
    const std::string path = dir / "locus.yaml";
    std::ofstream(path) << yaml;
    return path;
  }

  const TempDir& dir_;
  std::string config_path_;
  std::unique_ptr<Stack> stack_;
  int port_ = 0;
};

}  // namespace locus::itest
