// push::Upstream for one APNs push module (topic, environment, key).
//
// Contract: lives on one io_context thread. Keeps one HTTP/2 connection to
// settings.host and reuses it; when it drops, the next send opens a new one,
// and after failed connects new ones wait out a backoff (1 s doubling to 60 s)
// during which sends fail fast as `unavailable`. Outcomes follow
// classify_apns_response(); in addition a 403 ExpiredProviderToken refreshes
// the JWT and resends once, and a request the server provably did not process
// (connect failure, REFUSED_STREAM, above GOAWAY's last-stream-id) is resent
// once, then reported `unavailable`. A request whose outcome is unknown is
// never resent (delivery is at most once). `done` runs exactly once, posted to
// the io_context, also when the upstream is destroyed with sends in flight.
// Logs carry host, status, reason, apns-id and the token fingerprint only.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "push/apns/apns_request.h"
#include "push/apns/http2_connection.h"
#include "push/apns/jwt_signer.h"
#include "push/upstream.h"

namespace herald::push::apns {

class ApnsUpstream : public Upstream {
 public:
  // Throws std::invalid_argument for unusable settings and std::runtime_error
  // when `extra_ca_file` cannot be loaded, so both surface at config time.
  ApnsUpstream(asio::io_context& io, ApnsModuleSettings settings, std::shared_ptr<JwtSigner> signer,
               const std::string& extra_ca_file = {});
  ~ApnsUpstream() override;
  ApnsUpstream(const ApnsUpstream&) = delete;
  ApnsUpstream& operator=(const ApnsUpstream&) = delete;

  void send(const PushJob& job, std::function<void(UpstreamResult)> done) override;
  bool token_plausible(const std::string& token) const override;

  const ApnsModuleSettings& settings() const { return settings_; }

 private:
  struct Attempt;

  void start_attempt(const std::shared_ptr<Attempt>& a);
  void on_result(const std::shared_ptr<Attempt>& a, Http2Result result);
  void complete(const std::shared_ptr<Attempt>& a, UpstreamResult result);
  // The open connection, a new one, or nullptr while backing off.
  std::shared_ptr<Http2Connection> connection();
  void on_connection_closed(bool was_connected, const std::string& why);

  asio::io_context& io_;
  ApnsModuleSettings settings_;
  std::shared_ptr<JwtSigner> signer_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::shared_ptr<Http2Connection> conn_;
  int connect_failures_ = 0;
  std::chrono::steady_clock::time_point next_connect_{};
  // Callbacks hold a weak_ptr to this: they outlive the upstream in the queue.
  std::shared_ptr<ApnsUpstream*> self_;
};

}  // namespace herald::push::apns
