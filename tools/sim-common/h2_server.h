// A simulator's listener: a TCP acceptor on one address, a TLS context
// (TLS 1.2+, ALPN "h2" only, like APNs and FCM) and the set of live
// connections, each with its own ConnectionHandler from the factory. With
// client_ca_file set, the server requests a client certificate and fails
// the handshake unless one is sent that verifies against that CA (unless
// client_certificate_optional). Runs on the caller's io_context; stop()
// closes the acceptor and every connection so io_context::run() returns.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "sim-common/h2_connection.h"

namespace herald::sim {

struct TlsOptions {
  std::string cert_file;  // PEM certificate chain
  std::string key_file;   // PEM private key
  std::string client_ca_file;  // PEM CA(s); empty: no client certificate asked
  bool client_certificate_optional = false;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: pick a free port; see H2Server::port()
  TlsOptions tls;
  ConnectionOptions connection;
};

using HandlerFactory = std::function<std::unique_ptr<ConnectionHandler>(uint64_t connection_id)>;

class H2Server {
 public:
  H2Server(asio::io_context& io, ServerOptions options, HandlerFactory factory);
  ~H2Server();

  // Loads the certificates and binds; false with *error on failure.
  bool start(std::string* error);
  uint16_t port() const { return port_; }
  void stop();
  size_t connection_count() const { return connections_.size(); }
  uint64_t connections_accepted() const { return next_id_ - 1; }

 private:
  void accept();

  asio::io_context& io_;
  ServerOptions options_;
  HandlerFactory factory_;
  asio::ssl::context tls_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<H2Connection>> connections_;
};

}  // namespace herald::sim
