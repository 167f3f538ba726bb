// The simulator's listener: sim-common's TLS HTTP/2 server with one
// ApnsHandler per connection. Each handler keeps the connection's provider
// token state (ProviderAuth), asks the Simulator for every request's
// answer, records it, and raises SETTINGS_MAX_CONCURRENT_STREAMS from 1
// after the first authenticated request when asked to behave like APNs with
// token auth. Runs on the caller's io_context; stop() closes everything so
// io_context::run() returns.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "apns-sim/jwt_verifier.h"
#include "apns-sim/recorder.h"
#include "apns-sim/simulator.h"
#include "sim-common/h2_server.h"

namespace herald::apns_sim {

struct ConnectionOptions {
  uint32_t max_concurrent_streams = 1000;
  // Like APNs with token auth: SETTINGS_MAX_CONCURRENT_STREAMS is 1 until a
  // request on the connection passes authentication.
  bool one_stream_until_authenticated = false;
  bool limit_token_updates = true;
  // > 0: after answering this many requests, a connection sends GOAWAY
  // (NO_ERROR, last-stream-id = the last stream it received), finishes the
  // streams it accepted and closes, as APNs does when it rotates servers.
  uint32_t goaway_after_requests = 0;
};

// What the simulator saw, for in-process tests and load-test summaries.
struct ServerStats {
  uint64_t requests = 0;
  uint64_t accepted = 0;  // answered 200
  // Highest number of request streams open at once on one connection, and
  // how often a client exceeded the MAX_CONCURRENT_STREAMS last announced.
  size_t max_open_streams = 0;
  uint64_t stream_limit_violations = 0;
};

// Sees every request and its outcome (before any delay), e.g. to count
// deliveries per token.
using RequestObserver = std::function<void(const Request&, const Outcome&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;      // 0: pick a free port; see Server::port()
  std::string cert_file;  // PEM certificate chain
  std::string key_file;   // PEM private key
  // PEM CA for client certificates; empty: token auth only. When set,
  // clients must present a certificate from this CA (see README.md).
  std::string client_ca_file;
  ConnectionOptions connection;
};

class ApnsHandler;

class Server {
 public:
  // `verifier` and `recorder` may be null (no token auth / no recording).
  Server(asio::io_context& io, ServerOptions options, const JwtVerifier* verifier,
         Simulator& simulator, Recorder* recorder);

  // Loads the certificate and binds; false with *error on failure.
  bool start(std::string* error);
  uint16_t port() const { return server_.port(); }
  void stop() { server_.stop(); }
  const sim::H2Server& h2() const { return server_; }
  const ServerStats& stats() const { return stats_; }
  void set_observer(RequestObserver observer) { observer_ = std::move(observer); }

 private:
  friend class ApnsHandler;
  asio::io_context& io_;
  ServerOptions options_;
  const JwtVerifier* verifier_;
  Simulator& simulator_;
  Recorder* recorder_;
  ServerStats stats_;
  RequestObserver observer_;
  sim::H2Server server_;
};

}  // namespace herald::apns_sim
