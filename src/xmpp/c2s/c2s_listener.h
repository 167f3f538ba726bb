// Accepts client connections on the configured endpoints (STARTTLS ports,
// and XEP-0368 direct TLS ports with ALPN "xmpp-client") and hands each to
// one of the given event loops, round robin, where its session lives for
// its whole life.
//
// Contract: constructed, started and stopped on `accept_loop` (which may be
// one of `loops`). start() binds every endpoint of config.listen and
// config.listen_direct_tls (throws std::runtime_error naming the one that
// fails). At most config.max_connections_per_ip connections are open from
// one client address: counted here, on the accepting loop, in memory only;
// the session's loop posts the close back. A connection beyond it is refused
// (policy-violation; closed at once on a direct TLS port). The host's
// admit_address() runs on the session's loop when it starts. stop() closes
// the listening sockets; open sessions are the host's to close. Loads the
// hosts' certificates at construction (throws naming a file that fails).
// Sessions may outlive the listener; the certificates are shared with them.
#pragma once

#include <asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "net/tls.h"
#include "xmpp/c2s/c2s_host.h"

namespace herald::xmpp {

class C2sListener {
 public:
  C2sListener(asio::io_context& accept_loop,
              std::vector<std::reference_wrapper<asio::io_context>> loops, C2sHost& host);
  ~C2sListener();
  C2sListener(const C2sListener&) = delete;
  C2sListener& operator=(const C2sListener&) = delete;

  void start();
  void stop();
  // The bound addresses, with the actual ports when port 0 was configured.
  std::vector<asio::ip::tcp::endpoint> local_endpoints() const;
  // Open connections counted against the per-address limit (tests, metrics).
  size_t open_connections() const;

 private:
  struct Shared;  // what sessions' close callbacks reach, after the listener too
  void accept(asio::ip::tcp::acceptor& acceptor, bool direct_tls);

  asio::io_context& accept_loop_;
  std::vector<std::reference_wrapper<asio::io_context>> loops_;
  C2sHost& host_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  size_t next_loop_ = 0;
  bool stopped_ = false;
};

}  // namespace herald::xmpp
