// Child processes and temporary directories for integration tests.
//
// Child runs a program with its stdout on a pipe (or in a file) and its stderr in a file,
// reads stdout lines with a timeout, sends signals and waits with a timeout. Its destructor
// SIGKILLs and reaps a child that is still running, and every child also gets
// PR_SET_PDEATHSIG=SIGKILL, so neither a failing assertion nor a crashed test binary leaves
// processes behind.
//
// TempDir is a fresh directory per test; it is removed at the end unless the test failed (then
// its path is printed so logs and state can be inspected).
//
// Not thread-safe: one thread drives a Child.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace locus::itest {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

inline std::string LocusBinary() { return LOCUS_BINARY_DIR "/locus"; }

inline std::string ReadFileText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The last `max_bytes` of `text`, for failure messages.
inline std::string Tail(const std::string& text, size_t max_bytes = 4000) {
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/locus-it-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << pattern << "): " << std::strerror(errno);
      return;
    }
    path_ = buf.data();
  }
  ~TempDir() {
    if (path_.empty()) return;
    if (::testing::Test::HasFailure()) {
      std::cerr << "[ keeping ] " << path_ << " (test failed; logs and state are there)\n";
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

struct SpawnOptions {
  // Where stderr goes (appended); empty: /dev/null.
  std::string stderr_path;
  // Where stdout goes (truncated); empty: a pipe read through ReadLine/ReadAll.
  std::string stdout_path;
  // Give the child a stdin pipe (WriteStdin/CloseStdin); otherwise stdin is /dev/null.
  bool pipe_stdin = false;
};

class Child {
 public:
  // Starts argv[0] (a path) with arguments argv[1..]. Returns null (and records a test
  // failure) when the program could not be started.
  static std::unique_ptr<Child> Spawn(const std::vector<std::string>& argv,
                                      const SpawnOptions& options = {}) {
    static const bool sigpipe_ignored = [] {
      ::signal(SIGPIPE, SIG_IGN);  // writing to a dead child's stdin must not kill us
      return true;
    }();
    (void)sigpipe_ignored;
    std::unique_ptr<Child> c(new Child());
    c->name_ = argv.empty() ? "?" : argv[0];
    for (size_t i = 1; i < argv.size() && i < 3; ++i) c->name_ += " " + argv[i];
    c->stderr_path_ = options.stderr_path;

    // Everything the child needs is prepared before fork(): after it only async-signal-safe
    // calls are allowed (the test process runs librdkafka threads).
    std::vector<std::vector<char>> storage;
    std::vector<char*> args;
    for (const std::string& a : argv) {
      storage.emplace_back(a.begin(), a.end());
      storage.back().push_back('\0');
    }
    for (auto& s : storage) args.push_back(s.data());
    args.push_back(nullptr);

    int out[2] = {-1, -1}, in[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    int out_fd = -1, err_fd = -1, null_fd = -1;
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (options.stdout_path.empty()) {
      if (pipe2(out, O_CLOEXEC) != 0) return Fail("pipe", c->name_);
      out_fd = out[1];
    } else {
      out_fd = open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (out_fd < 0) return Fail("open " + options.stdout_path, c->name_);
    }
    if (!options.stderr_path.empty()) {
      err_fd = open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (err_fd < 0) return Fail("open " + options.stderr_path, c->name_);
    } else {
      err_fd = null_fd;
    }
    if (options.pipe_stdin && pipe2(in, O_CLOEXEC) != 0) return Fail("pipe", c->name_);
    if (pipe2(err_pipe, O_CLOEXEC) != 0) return Fail("pipe", c->name_);
    const int in_fd = options.pipe_stdin ? in[0] : null_fd;
    const pid_t parent = getpid();

    const pid_t pid = fork();
    if (pid < 0) return Fail("fork", c->name_);
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      signal(SIGPIPE, SIG_DFL);
      if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0 ||
          dup2(err_pipe[1], 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0) {
        _exit(127);
      }
      syscall(SYS_close_range, 4U, ~0U, 0U);  // no inherited sockets or pipes
      execv(args[0], args.data());
      const int e = errno;
      ssize_t ignored = write(3, &e, sizeof e);
      (void)ignored;
      _exit(127);
    }
    c->pid_ = pid;
    if (options.stdout_path.empty()) {
      close(out[1]);
      c->out_ = out[0];
    } else {
      close(out_fd);
    }
    if (err_fd != null_fd) close(err_fd);
    if (options.pipe_stdin) {
      close(in[0]);
      c->in_ = in[1];
    }
    close(null_fd);
    close(err_pipe[1]);
    int exec_errno = 0;
    const ssize_t n = read(err_pipe[0], &exec_errno, sizeof exec_errno);  // EOF on exec
    close(err_pipe[0]);
    if (n == static_cast<ssize_t>(sizeof exec_errno)) {
      ADD_FAILURE() << "cannot run " << argv[0] << ": " << std::strerror(exec_errno);
      c->Wait(seconds(5));
      return nullptr;
    }
    return c;
  }

  ~Child() {
    if (pid_ > 0 && !status_) Kill();
    if (out_ >= 0) close(out_);
    if (in_ >= 0) close(in_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  bool running() {
    Reap(false);
    return !status_.has_value();
  }

  // One line of stdout without its newline; nullopt on end of file or timeout.
  std::optional<std::string> ReadLine(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || !Fill(static_cast<int>(left.count()))) return std::nullopt;
    }
  }

  // Everything on stdout until the child closes it (or the timeout passes).
  std::string ReadAll(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (out_ >= 0) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      Fill(static_cast<int>(left.count()));
    }
    std::string all = std::move(buffer_);
    buffer_.clear();
    return all;
  }

  bool WriteStdin(std::string_view data) {
    while (!data.empty() && in_ >= 0) {
      const ssize_t n = write(in_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return data.empty();
  }
  void CloseStdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }

  bool Signal(int sig) { return running() && kill(pid_, sig) == 0; }

  // Exit code (0..255), or -N when killed by signal N; nullopt when still running after
  // `timeout`. Keeps draining stdout meanwhile so a chatty child cannot block on a full pipe.
  std::optional<int> Wait(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
      Reap(false);
      if (status_) return status_;
      if (Clock::now() >= deadline) return std::nullopt;
      if (out_ >= 0) {
        Fill(20);
      } else {
        std::this_thread::sleep_for(milliseconds(20));
      }
    }
  }

  // SIGKILL and reap (no-op when it already exited).
  void Kill() {
    if (pid_ <= 0 || status_) return;
    kill(pid_, SIGKILL);
    Reap(true);
  }

  // The stderr file's content (empty when stderr was not kept).
  std::string Stderr() const {
    return stderr_path_.empty() ? std::string() : ReadFileText(stderr_path_);
  }
  // "name: exit status; stderr tail" for failure messages.
  std::string Describe() {
    std::ostringstream s;
    s << name_ << " (pid " << pid_ << ")";
    if (running()) {
      s << " still running";
    } else {
      s << " exited " << *status_;
    }
    if (!stderr_path_.empty()) s << "; stderr (" << stderr_path_ << "):\n" << Tail(Stderr());
    return s.str();
  }

 private:
  Child() = default;

  static std::unique_ptr<Child> Fail(const std::string& what, const std::string& name) {
    ADD_FAILURE() << "starting " << name << ": " << what << ": " << std::strerror(errno);
    return nullptr;
  }

  // Reads what stdout has within timeout_ms; false on end of file or timeout.
  bool Fill(int timeout_ms) {
    if (out_ < 0) return false;
    pollfd p{out_, POLLIN, 0};
    const int r = poll(&p, 1, timeout_ms);
    if (r <= 0) return false;
    char chunk[65536];
    const ssize_t n = read(out_, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) {
      close(out_);
      out_ = -1;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  void Reap(bool block) {
    if (pid_ <= 0 || status_) return;
    int st = 0;
    pid_t r;
    do {
      r = waitpid(pid_, &st, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1000;
    } else if (r < 0) {
      status_ = -1000;  // not our child any more; nothing left to reap
    }
  }

  std::string name_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  int out_ = -1;
  int in_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

// Reads stdout lines until "bootstrap: <servers>" and returns the servers; empty (with a test
// failure naming the child's stderr) when none came within the timeout.
inline std::string ReadBootstrap(Child& child, milliseconds timeout = seconds(30)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    std::optional<std::string> line = child.ReadLine(left);
    if (!line) break;
    constexpr std::string_view kPrefix = "bootstrap: ";
    if (line->starts_with(kPrefix)) return line->substr(kPrefix.size());
  }
  ADD_FAILURE() << "no 'bootstrap:' line from " << child.Describe();
  return {};
}

// Runs a program to completion with stdout captured; returns {exit code, stdout}.
struct RunResult {
  std::optional<int> code;  // nullopt: timed out (the child was killed)
  std::string out;
};
inline RunResult RunToEnd(const std::vector<std::string>& argv, milliseconds timeout,
                          const std::string& stderr_path = {}) {
  SpawnOptions o;
  o.stderr_path = stderr_path;
  auto c = Child::Spawn(argv, o);
  if (!c) return {};
  RunResult r;
  r.out = c->ReadAll(timeout);
  const auto left = std::chrono::duration_cast<milliseconds>(timeout / 10 + seconds(5));
  r.code = c->Wait(left);
  return r;
}

}  // namespace locus::itest
