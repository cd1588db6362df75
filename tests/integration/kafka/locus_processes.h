// `locus` subcommands as child processes, for the tests that run whole engines: an embedded
// broker, `locus serve` on it, a state dump, and the lines two dumps differ in.
#pragma once

#include "tests/integration/kafka/process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace locus::itest {

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The first differing lines of two dumps, for the failure message.
inline std::string FirstDifferences(const std::string& a, const std::string& b,
                                    const std::string& name_a = "uninterrupted",
                                    const std::string& name_b = "crashed", int max = 10) {
  std::vector<std::string> la = Lines(a), lb = Lines(b);
  std::ostringstream s;
  s << name_a << ": " << la.size() << " lines, " << name_b << ": " << lb.size() << " lines\n";
  int shown = 0;
  for (size_t i = 0; i < std::max(la.size(), lb.size()) && shown < max; ++i) {
    const std::string* x = i < la.size() ? &la[i] : nullptr;
    const std::string* y = i < lb.size() ? &lb[i] : nullptr;
    if (x && y && *x == *y) continue;
    s << "line " << i + 1 << ":\n  " << name_a << ": " << (x ? *x : "<none>") << "\n  " << name_b
      << ": " << (y ? *y : "<none>") << "\n";
    ++shown;
  }
  return s.str();
}

// `locus broker` (the embedded cluster on its own); `bootstrap` gets its address.
inline std::unique_ptr<Child> StartBroker(const TempDir& dir, const std::string& name,
                                          std::string& bootstrap) {
  SpawnOptions o;
  o.stderr_path = dir / (name + ".log");
  auto broker = Child::Spawn({LocusBinary(), "broker"}, o);
  if (broker) bootstrap = ReadBootstrap(*broker);
  return broker;
}

// `locus serve` on `bootstrap` with its state in `data_dir`, logs in dir/log_name.{log,out},
// HTTP on any free port, and `extra` arguments (e.g. --config FILE).
inline std::unique_ptr<Child> StartServe(const TempDir& dir, const std::string& bootstrap,
                                         const std::string& data_dir, const std::string& log_name,
                                         double exit_when_idle_s = -1,
                                         const std::vector<std::string>& extra = {}) {
  SpawnOptions o;
  o.stderr_path = dir / (log_name + ".log");
  o.stdout_path = dir / (log_name + ".out");
  std::vector<std::string> argv{LocusBinary(), "serve",  "--bootstrap", bootstrap, "--data-dir",
                                data_dir,      "--http", "127.0.0.1:0"};  // any free port
  if (exit_when_idle_s >= 0) {
    argv.push_back("--exit-when-idle");
    argv.push_back(std::to_string(exit_when_idle_s));
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return Child::Spawn(argv, o);
}

// Waits until the engine logs that it holds its partitions (it then ingests); false when the
// line did not come within the timeout or the process ended.
inline bool AwaitAssignment(Child& serve, seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline && serve.running()) {
    if (serve.Stderr().find("assigned ") != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

// `locus state dump` of a data directory no engine holds.
inline std::string Dump(const TempDir& dir, const std::string& data_dir, const std::string& name) {
  RunResult r = RunToEnd({LocusBinary(), "state", "dump", "--data-dir", data_dir}, seconds(120),
                         dir / (name + ".log"));
  EXPECT_EQ(r.code, 0) << "state dump of " << data_dir << ": "
                       << ReadFileText(dir / (name + ".log"));
  return r.out;
}

}  // namespace locus::itest
