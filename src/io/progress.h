// Progress of a long job on stderr: a bar with rate and ETA on a terminal, a plain line every
// few seconds otherwise (logs, CI). Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace locus {

class Progress {
 public:
  // `enabled` false prints nothing.
  Progress(std::string what, int64_t total, bool enabled);
  void Update(int64_t done, const std::string& note = "");
  void Finish(int64_t done);

 private:
  void Print(int64_t done, const std::string& note, bool final);

  std::string what_;
  int64_t total_;
  bool enabled_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace locus
