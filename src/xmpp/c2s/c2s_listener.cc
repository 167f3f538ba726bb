#include "xmpp/c2s/c2s_listener.h"

#include <stdexcept>

#include "base/log.h"
#include "net/listen.h"
#include "xmpp/c2s/c2s_session.h"

namespace herald::xmpp {

struct C2sListener::Shared {
  explicit Shared(const std::vector<net::CertificateFiles>& files)
      : tls(files, net::kClientToServerTls) {}
  net::ServerTls tls;
  std::map<asio::ip::address, size_t> per_address;
  size_t open = 0;
};

namespace {

std::vector<net::CertificateFiles> certificate_files(const C2sConfig& config) {
  std::vector<net::CertificateFiles> files;
  for (const auto& h : config.hosts) {
    std::string domain = h.host;
    for (char& c : domain)
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    files.push_back({domain, h.cert_file, h.key_file});
  }
  return files;
}

}  // namespace

C2sListener::C2sListener(asio::io_context& accept_loop,
                         std::vector<std::reference_wrapper<asio::io_context>> loops,
                         C2sHost& host)
    : accept_loop_(accept_loop),
      loops_(std::move(loops)),
      host_(host),
      shared_(std::make_shared<Shared>(certificate_files(host.c2s_config()))) {
  if (loops_.empty()) throw std::runtime_error("c2s: no event loop to run sessions on");
}

C2sListener::~C2sListener() {
  stop();
}

void C2sListener::start() {
  const C2sConfig& config = host_.c2s_config();
  for (bool direct_tls : {false, true}) {
    for (const auto& text : direct_tls ? config.listen_direct_tls : config.listen) {
      acceptors_.push_back(
          net::open_listener(accept_loop_, text, "c2s", direct_tls ? " (direct TLS)" : ""));
      accept(*acceptors_.back(), direct_tls);
    }
  }
}

void C2sListener::stop() {
  stopped_ = true;
  for (auto& a : acceptors_) {
    asio::error_code ignored;
    a->close(ignored);
  }
}

std::vector<asio::ip::tcp::endpoint> C2sListener::local_endpoints() const {
  return net::bound_endpoints(acceptors_);
}

size_t C2sListener::open_connections() const {
  return shared_->open;
}

void C2sListener::accept(asio::ip::tcp::acceptor& acceptor, bool direct_tls) {
  asio::io_context& loop = loops_[next_loop_++ % loops_.size()];
  // The socket is made on the session's loop, so its I/O runs there.
  acceptor.async_accept(loop, [this, &acceptor, &loop, direct_tls](const asio::error_code& ec,
                                                                   asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (ec) {
      log::debug("c2s: accept failed: {}", ec.message());
    } else {
      asio::error_code ignored;
      auto address = socket.remote_endpoint(ignored).address();
      auto session = C2sSession::create(loop, shared_->tls.context(), host_);
      session->tcp() = std::move(socket);
      size_t count = ++shared_->per_address[address];
      ++shared_->open;
      // Back on this loop once the session's loop saw it close.
      session->on_closed([shared = shared_, &accept_loop = accept_loop_, address] {
        asio::post(accept_loop, [shared, address] {
          --shared->open;
          auto it = shared->per_address.find(address);
          if (it != shared->per_address.end() && --it->second == 0) shared->per_address.erase(it);
        });
      });
      size_t limit = host_.c2s_config().max_connections_per_ip;
      bool refuse = limit && count > limit;
      if (refuse) log::info("c2s: refusing a connection: {} already open from its address", limit);
      asio::post(loop, [session, address, direct_tls, refuse] {
        if (refuse)
          session->refuse(direct_tls, "policy-violation", "too many connections from your address");
        else
          session->start(address, direct_tls);
      });
    }
    accept(acceptor, direct_tls);
  });
}

}  // namespace herald::xmpp
