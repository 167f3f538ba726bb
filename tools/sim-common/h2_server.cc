#include "sim-common/h2_server.h"

#include <openssl/ssl.h>

#include <cstring>
#include <vector>

#include "base/log.h"

namespace herald::sim {
namespace {

// The simulated services speak only HTTP/2: pick "h2" or fail the handshake.
int select_h2(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
              unsigned int in_length, void*) {
  for (unsigned int i = 0; i < in_length;) {
    unsigned int length = in[i];
    if (i + 1 + length > in_length) break;
    if (length == 2 && std::memcmp(in + i + 1, "h2", 2) == 0) {
      *out = in + i + 1;
      *out_length = 2;
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + length;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

}  // namespace

H2Server::H2Server(asio::io_context& io, ServerOptions options, HandlerFactory factory)
    : io_(io),
      options_(std::move(options)),
      factory_(std::move(factory)),
      tls_(asio::ssl::context::tls_server),
      acceptor_(io) {}

H2Server::~H2Server() { stop(); }

bool H2Server::start(std::string* error) {
  std::error_code ec;
  tls_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_alpn_select_cb(tls_.native_handle(), select_h2, nullptr);
  tls_.use_certificate_chain_file(options_.tls.cert_file, ec);
  if (!ec) tls_.use_private_key_file(options_.tls.key_file, asio::ssl::context::pem, ec);
  if (ec) {
    *error = "cannot load certificate/key: " + ec.message();
    return false;
  }
  if (!options_.tls.client_ca_file.empty()) {
    tls_.load_verify_file(options_.tls.client_ca_file, ec);
    if (ec) {
      *error = "cannot load client CA " + options_.tls.client_ca_file + ": " + ec.message();
      return false;
    }
    // Tell clients which CA we accept, so they pick the right certificate.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options_.tls.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(tls_.native_handle(), names);
    asio::ssl::verify_mode mode = asio::ssl::verify_peer;
    if (!options_.tls.client_certificate_optional) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    tls_.set_verify_mode(mode);
  }
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    *error = "bad listen address " + options_.host;
    return false;
  }
  asio::ip::tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " +
             ec.message();
    return false;
  }
  port_ = acceptor_.local_endpoint().port();
  accept();
  return true;
}

void H2Server::accept() {
  acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (ec) {
      log::warn("{}: accept failed: {}", options_.connection.log_name, ec.message());
    } else {
      std::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      uint64_t id = next_id_++;
      auto connection = std::make_shared<H2Connection>(
          H2Connection::TlsStream(std::move(socket), tls_), id, options_.connection, factory_(id),
          [this](uint64_t closed) { connections_.erase(closed); });
      connections_[id] = connection;
      connection->start();
    }
    accept();
  });
}

void H2Server::stop() {
  std::error_code ignored;
  acceptor_.close(ignored);
  // close() calls back into connections_.erase, so walk a copy.
  std::vector<std::shared_ptr<H2Connection>> live;
  for (auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) live.push_back(std::move(connection));
  }
  for (auto& connection : live) connection->close();
  connections_.clear();
}

}  // namespace herald::sim
