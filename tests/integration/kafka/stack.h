// A running locus stack for integration tests: `locus broker` and `locus serve` as child
// processes in a fresh temp directory, plus small helpers shared by the tests.
// Destruction SIGKILLs whatever still runs (Child's destructor); Stop() is the clean path.
#pragma once

#include "src/codec/messages.h"
#include "tests/integration/kafka/process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace locus::itest {

class Stack {
 public:
  // Starts the broker and the engine (with `serve_extra` arguments); check ok() (failures are
  // already recorded).
  explicit Stack(const TempDir& dir, const std::vector<std::string>& serve_extra = {}) : dir_(dir) {
    SpawnOptions bo;
    bo.stderr_path = dir_ / "broker.log";
    broker_ = Child::Spawn({LocusBinary(), "broker"}, bo);
    if (!broker_) return;
    bootstrap_ = ReadBootstrap(*broker_);
    if (bootstrap_.empty()) return;
    StartServe(serve_extra);
  }

  bool ok() const { return !bootstrap_.empty() && serve_ != nullptr; }
  const std::string& bootstrap() const { return bootstrap_; }
  Child& serve() { return *serve_; }
  std::string data_dir() const { return dir_ / "state"; }

  void StartServe(const std::vector<std::string>& extra = {}) {
    SpawnOptions so;
    so.stderr_path = dir_ / "serve.log";
    so.stdout_path = dir_ / "serve.out";
    std::vector<std::string> argv{LocusBinary(), "serve",      "--bootstrap",
                                  bootstrap_,    "--data-dir", data_dir()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    // Any free port for the HTTP API, so engines of concurrent tests never collide on 8080.
    if (std::find(extra.begin(), extra.end(), "--http") == extra.end()) {
      argv.insert(argv.end(), {"--http", "127.0.0.1:0"});
    }
    serve_ = Child::Spawn(argv, so);
  }

  // SIGTERM to the engine; returns its exit code (nullopt: it did not stop within 60 s).
  std::optional<int> StopServe() {
    if (!serve_) return std::nullopt;
    serve_->Signal(SIGTERM);
    return serve_->Wait(seconds(60));
  }

  std::string ServeLog() const { return Tail(ReadFileText(dir_ / "serve.log"), 6000); }

 private:
  const TempDir& dir_;
  std::string bootstrap_;
  std::unique_ptr<Child> broker_;
  std::unique_ptr<Child> serve_;
};

// A decoded response, or a failure naming the bytes.
inline Answer MustDecodeResponse(const std::string& bytes) {
  Decoded<Answer> d = DecodeResponse(bytes);
  EXPECT_TRUE(d.ok()) << "response does not decode (" << d.code << ": " << d.error
                      << "): " << bytes;
  return d.ok() ? *d.value : Answer{};
}

inline std::string DescribeAnswer(const Answer& a) {
  std::string s = "request_id=" + a.request_id + " status=" + (a.ok ? "ok" : "error") +
                  " activity=" + a.activity + " error=" + a.error + " items=[";
  for (const ScoredPlace& p : a.items) {
    s += p.place.str() + "(" + std::to_string(p.score) + ") ";
  }
  return s + "]";
}

}  // namespace locus::itest
