#include "src/io/progress.h"

#include <algorithm>
#include <cstdio>
#include <unistd.h>

namespace locus {

using Clock = std::chrono::steady_clock;

Progress::Progress(std::string what, int64_t total, bool enabled)
    : what_(std::move(what)),
      total_(total),
      enabled_(enabled),
      tty_(isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      last_print_(start_) {}

void Progress::Update(int64_t done, const std::string& note) {
  if (!enabled_) return;
  const auto now = Clock::now();
  const auto every = tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(2000);
  if (now - last_print_ < every) return;
  last_print_ = now;
  Print(done, note, false);
}

void Progress::Finish(int64_t done) {
  if (enabled_) Print(done, "", true);
}

void Progress::Print(int64_t done, const std::string& note, bool final) {
  const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  const double frac = total_ > 0 ? std::min(1.0, static_cast<double>(done) / total_) : 1.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::fprintf(stderr, "\r[%s] %3.0f%% %lld/%lld %s  %.0f/s  ETA %.0fs %s\033[K%s", bar.c_str(),
                 frac * 100, static_cast<long long>(done), static_cast<long long>(total_),
                 what_.c_str(), rate, eta, note.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s: %lld/%lld (%.0f%%) %.0f/s ETA %.0fs %s\n", what_.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), frac * 100, rate,
                 final ? 0.0 : eta, note.c_str());
  }
  std::fflush(stderr);
}

}  // namespace locus
