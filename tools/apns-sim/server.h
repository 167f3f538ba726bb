// The simulator's listener: a TCP acceptor on one address, a TLS context
// (TLS 1.2+, ALPN "h2" only, like APNs) and the set of live connections.
// Runs on the caller's io_context; stop() closes the acceptor and every
// connection so io_context::run() returns.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "apns-sim/h2_connection.h"
#include "apns-sim/jwt_verifier.h"
#include "apns-sim/recorder.h"
#include "apns-sim/simulator.h"

namespace herald::apns_sim {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;      // 0: pick a free port; see Server::port()
  std::string cert_file;  // PEM certificate chain
  std::string key_file;   // PEM private key
  ConnectionOptions connection;
};

class Server {
 public:
  // `recorder` may be null.
  Server(asio::io_context& io, ServerOptions options, const JwtVerifier& verifier,
         Simulator& simulator, Recorder* recorder);

  // Loads the certificate and binds; false with *error on failure.
  bool start(std::string* error);
  uint16_t port() const { return port_; }
  void stop();

 private:
  void accept();

  asio::io_context& io_;
  ServerOptions options_;
  const JwtVerifier& verifier_;
  Simulator& simulator_;
  Recorder* recorder_;
  asio::ssl::context tls_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<H2Connection>> connections_;
};

}  // namespace herald::apns_sim
