// A TCP proxy for tests that can take "the server" away: it forwards 127.0.0.1:port() to a
// target, and on request drops every connection and refuses new ones (accepts and closes at
// once) until it is brought back. CutAfterClientBytes cuts in the middle of a transfer, e.g.
// half-way through a snapshot's INSERTs. One poll() thread; methods are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace locus::test_support {

class TcpProxy {
 public:
  // Listens on an ephemeral loopback port and forwards to target_host:target_port.
  static std::unique_ptr<TcpProxy> Start(const std::string& target_host, int target_port);
  ~TcpProxy();

  int port() const { return port_; }
  // Down: closes every forwarded connection and refuses new ones. Up: forwards again.
  void SetUp(bool up);
  bool up() const { return up_.load(); }
  // Goes down once `bytes` more bytes have gone from clients to the target.
  void CutAfterClientBytes(int64_t bytes);
  // Connections accepted while up, so far.
  int64_t connections() const { return connections_.load(); }

 private:
  TcpProxy() = default;
  void Run();
  void CloseAll();

  struct Pair {
    int client = -1;
    int server = -1;
  };
  std::string target_host_;
  int target_port_ = 0;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> up_{true};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> cut_after_{-1};  // -1: not armed
  std::atomic<int64_t> connections_{0};
  std::vector<Pair> pairs_;  // poll thread only
  std::thread thread_;
};

}  // namespace locus::test_support
