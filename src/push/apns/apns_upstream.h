// push::Upstream for one APNs push module (topic, environment, credentials).
//
// Contract: lives on one io_context thread. Sends through a ConnectionPool,
// its own or one shared with other modules of the same host and credentials
// (the pool queues, honours stream limits, drains GOAWAY onto new
// connections, resends only what provably was not processed, backs off
// reconnects, pings idle connections). Outcomes follow
// classify_apns_response(); in addition a 403 ExpiredProviderToken refreshes
// the JWT and resends once. A request whose outcome is unknown is never
// resent (delivery is at most once); a full queue answers `unavailable` with
// reason "queue full" at once. `signer` null means certificate auth (the
// pool's TLS context carries the client certificate). `done` runs exactly
// once, posted to the io_context, also when the upstream is destroyed with
// sends in flight. Logs carry host, status, reason, apns-id and the token
// fingerprint only.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "push/apns/apns_request.h"
#include "push/apns/connection_pool.h"
#include "push/apns/http2_connection.h"
#include "push/apns/jwt_signer.h"
#include "push/upstream.h"

namespace herald::push::apns {

class ApnsUpstream : public Upstream {
 public:
  // Throws std::invalid_argument for unusable settings and std::runtime_error
  // when `extra_ca_file` cannot be loaded, so both surface at config time.
  // Builds its own pool from settings (connections, max_queue, ping_interval).
  ApnsUpstream(asio::io_context& io, ApnsModuleSettings settings, std::shared_ptr<JwtSigner> signer,
               const std::string& extra_ca_file = {}, const TlsClientIdentity& identity = {});
  // Sends through `pool`, e.g. one shared with other modules.
  ApnsUpstream(asio::io_context& io, ApnsModuleSettings settings, std::shared_ptr<JwtSigner> signer,
               std::shared_ptr<ConnectionPool> pool);
  ~ApnsUpstream() override;
  ApnsUpstream(const ApnsUpstream&) = delete;
  ApnsUpstream& operator=(const ApnsUpstream&) = delete;

  void send(const PushJob& job, std::function<void(UpstreamResult)> done) override;
  bool token_plausible(const std::string& token) const override;

  const ApnsModuleSettings& settings() const { return settings_; }
  const ConnectionPool& pool() const { return *pool_; }

  // The pool an upstream with these settings would build for itself.
  static std::shared_ptr<ConnectionPool> make_pool(asio::io_context& io,
                                                   const ApnsModuleSettings& settings,
                                                   const std::string& extra_ca_file,
                                                   const TlsClientIdentity& identity);

 private:
  struct Attempt;

  void start_attempt(const std::shared_ptr<Attempt>& a);
  void on_result(const std::shared_ptr<Attempt>& a, Http2Result result);
  void complete(const std::shared_ptr<Attempt>& a, UpstreamResult result);

  asio::io_context& io_;
  ApnsModuleSettings settings_;
  std::shared_ptr<JwtSigner> signer_;
  std::shared_ptr<ConnectionPool> pool_;
  // Callbacks hold a weak_ptr to this: they outlive the upstream in the queue.
  std::shared_ptr<ApnsUpstream*> self_;
};

}  // namespace herald::push::apns
