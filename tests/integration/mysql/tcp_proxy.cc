#include "tests/integration/mysql/tcp_proxy.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace locus::test_support {
namespace {

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

int ConnectTo(const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::unique_ptr<TcpProxy> TcpProxy::Start(const std::string& target_host, int target_port) {
  std::unique_ptr<TcpProxy> p(new TcpProxy());
  p->target_host_ = target_host;
  p->target_port_ = target_port;
  p->listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (p->listen_fd_ < 0 ||
      ::bind(p->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(p->listen_fd_, 16) != 0 ||
      ::getsockname(p->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::pipe(p->wake_) != 0) {
    throw std::runtime_error(std::string("tcp proxy: ") + std::strerror(errno));
  }
  p->port_ = ntohs(addr.sin_port);
  p->thread_ = std::thread([raw = p.get()] { raw->Run(); });
  return p;
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  CloseAll();
  for (int fd : {listen_fd_, wake_[0], wake_[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

void TcpProxy::SetUp(bool up) {
  up_ = up;
  if (up) cut_after_ = -1;
  (void)!::write(wake_[1], "x", 1);
}

void TcpProxy::CutAfterClientBytes(int64_t bytes) {
  cut_after_ = bytes;
  (void)!::write(wake_[1], "x", 1);
}

void TcpProxy::CloseAll() {
  for (const Pair& p : pairs_) {
    ::close(p.client);
    ::close(p.server);
  }
  pairs_.clear();
}

void TcpProxy::Run() {
  char buf[64 * 1024];
  while (!stop_) {
    if (!up_) CloseAll();
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const Pair& p : pairs_) {
      fds.push_back({p.client, POLLIN, 0});
      fds.push_back({p.server, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 200) < 0) continue;
    if (fds[0].revents & POLLIN) (void)!::read(wake_[0], buf, sizeof buf);
    const size_t polled = pairs_.size();  // pairs accepted below are polled next time
    if (fds[1].revents & POLLIN) {
      const int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client >= 0) {
        const int server = up_ ? ConnectTo(target_host_, target_port_) : -1;
        if (server < 0) {
          ::close(client);  // "the server is down"
        } else {
          pairs_.push_back({client, server});
          connections_++;
        }
      }
    }
    std::vector<bool> dead(pairs_.size(), false);
    for (size_t i = 0; i < polled && up_; ++i) {
      for (int dir = 0; dir < 2; ++dir) {
        const pollfd& f = fds[2 + 2 * i + dir];
        if (!(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const int from = dir == 0 ? pairs_[i].client : pairs_[i].server;
        const int to = dir == 0 ? pairs_[i].server : pairs_[i].client;
        const ssize_t n = ::recv(from, buf, sizeof buf, 0);
        if (n <= 0 || !WriteAll(to, buf, static_cast<size_t>(n))) {
          dead[i] = true;
          break;
        }
        if (dir == 0) {
          const int64_t left = cut_after_.load();
          if (left >= 0) {
            if (n >= left) {
              up_ = false;  // cut: everything closes at the top of the loop
              cut_after_ = -1;
            } else {
              cut_after_ = left - n;
            }
          }
        }
      }
    }
    for (size_t i = pairs_.size(); i-- > 0;) {
      if (!dead[i]) continue;
      ::close(pairs_[i].client);
      ::close(pairs_[i].server);
      pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
}

}  // namespace locus::test_support
