// Asynchronous DNS on c-ares, driven by the caller's asio::io_context.
//
// Contract: single-threaded like the rest of the io_context. Callbacks run on
// the io_context, never inside the call that started the query. A failed or
// empty lookup yields an empty list (callers fall back, they do not need the
// reason). Names must already be ASCII (IDNA applied by the caller). The
// Resolver must outlive io_context::run(); queries still open when it is
// destroyed are dropped without calling back.
#pragma once

#include <ares.h>

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace herald::net {

struct SrvRecord {
  std::string target;
  uint16_t port = 0;
  uint16_t priority = 0;
  uint16_t weight = 0;
};

// RFC 2782 order: ascending priority; within one priority, weighted random
// selection. `random_below(n)` returns a uniform value in [0, n). A single
// record with target "." means "no service": the result is then empty.
std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records,
                                 const std::function<uint32_t(uint32_t)>& random_below);

class Resolver {
 public:
  using SrvCallback = std::function<void(std::vector<SrvRecord>)>;  // already ordered
  using AddressCallback = std::function<void(std::vector<asio::ip::address>)>;

  // Throws std::runtime_error if c-ares cannot be initialised or `servers`
  // ("ip:port", "[v6]:port"; empty: the system's resolv.conf) is invalid.
  explicit Resolver(asio::io_context& io, const std::vector<std::string>& servers = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  void query_srv(const std::string& name, SrvCallback callback);
  // IPv6 and IPv4 addresses (hosts file, then DNS). IP literals resolve to
  // themselves.
  void query_addresses(const std::string& host, AddressCallback callback);

 private:
  struct Socket;
  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  void update_socket(ares_socket_t fd, bool readable, bool writable);
  void arm(ares_socket_t fd);
  void update_timer();
  void post(std::function<void()> fn);

  asio::io_context& io_;
  ares_channel channel_ = nullptr;
  asio::steady_timer timer_;
  std::map<ares_socket_t, std::unique_ptr<Socket>> sockets_;
  bool destroying_ = false;
  // Shared with callbacks posted to the io_context, so that a callback that
  // runs after destruction sees that and does nothing.
  std::shared_ptr<bool> alive_;
};

}  // namespace herald::net
