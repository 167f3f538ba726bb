// A small HTTP/1.1 server on standalone Asio, for Herald's HTTP services
// (the TURN credential API now; metrics, health and v1 registration later).
//
// Contract: single-threaded on the given io_context, one session object per
// connection, plain TCP or TLS (>= 1.2, with the given certificate chain and
// key). Keep-alive and pipelining; requests on a connection are answered in
// order by the Router. Explicit limits, each answered with a clear text body
// before the connection is closed:
//   - header block > max_header_bytes           -> 431
//   - body > max_body_bytes                     -> 413
//   - malformed request                         -> 400
//   - a request not complete within read_timeout -> 408 (an idle keep-alive
//     connection is closed silently instead)
//   - more than max_connections open            -> 503 to the first request
// The server never logs a client address (docs/privacy.md promise 8); the address is
// handed to handlers in Request::remote_address for per-client limits only.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "http/request_parser.h"
#include "http/router.h"

namespace herald::http {

struct ServerOptions {
  std::string name = "http";         // names the service in logs
  std::vector<std::string> listen;   // "host:port" ("[::1]:443"); port 0 picks one
  std::string certificate;           // PEM chain; with `key` turns TLS on
  std::string key;                   // PEM private key
  ParserLimits limits;
  size_t max_connections = 512;
  std::chrono::milliseconds read_timeout{10000};
};

class Server {
 public:
  // Throws std::runtime_error if the certificate or key cannot be loaded.
  // `router` must outlive the server.
  Server(asio::io_context& io, ServerOptions options, const Router& router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listen address; throws std::runtime_error naming the one
  // that fails.
  void start();
  // Stops accepting and closes every connection.
  void stop();
  // Re-reads the certificate and key (e.g. on SIGHUP after a renewal).
  // All or nothing: on an error the current ones stay and
  // std::runtime_error names the file. Connections accepted from now on
  // use the new ones; open connections are left as they are. Nothing to do
  // for plain HTTP.
  void reload_certificate();

  bool tls() const;
  std::vector<asio::ip::tcp::endpoint> local_endpoints() const;
  size_t open_connections() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace herald::http
