// push::Upstream for one FCM HTTP v1 module (one Firebase project).
//
// Contract: lives on one io_context thread. Keeps one HTTP/2 connection to
// the send endpoint (fcm.googleapis.com) and one to the token endpoint (the
// service account's token_uri), each reopened when it drops, both over
// Http2Connection. The bearer token comes from an AccessTokenCache filled by
// POSTing an RS256 assertion to the token endpoint: one fetch at a time,
// refreshed before it expires. A send answered 401 invalidates the token it
// used and is resent once with a fresh one. A send the server provably did
// not process is resent once, then reported `unavailable`; one whose outcome
// is unknown is never resent (delivery is at most once). Outcomes follow
// classify_fcm_response(). A 429 or 503 carrying Retry-After makes later sends
// fail fast (throttled / unavailable) until that time has passed, so a quota
// storm is not fed; without Retry-After only the one push is answered, the
// per-token rate limit above us keeps single devices in check. `done` runs
// exactly once, posted to the io_context, also when the upstream is destroyed
// with sends in flight. Logs name the project, status, error code and the
// token fingerprint only; never the token, the access token or the key.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "push/apns/http2_connection.h"
#include "push/fcm/access_token_cache.h"
#include "push/fcm/service_account.h"
#include "push/upstream.h"

namespace herald::push::fcm {

struct FcmSettings {
  std::string project_id;                 // empty: the service account's project_id
  std::string host = "fcm.googleapis.com";  // send endpoint
  uint16_t port = 443;
  // Where the token request goes; empty host: the service account's token_uri.
  // The assertion's `aud` stays token_uri either way.
  std::string token_host;
  uint16_t token_port = 443;
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::seconds max_retry_after{3600};  // cap on a server-requested pause
};

class FcmUpstream : public Upstream {
 public:
  // Throws std::invalid_argument for unusable settings (no project id, a
  // token_uri that is not https) and std::runtime_error when `extra_ca_file`
  // cannot be loaded, so both surface at configuration time.
  FcmUpstream(asio::io_context& io, FcmSettings settings,
              std::shared_ptr<ServiceAccountSigner> signer, const std::string& extra_ca_file = {});
  ~FcmUpstream() override;
  FcmUpstream(const FcmUpstream&) = delete;
  FcmUpstream& operator=(const FcmUpstream&) = delete;

  void send(const PushJob& job, std::function<void(UpstreamResult)> done) override;
  bool token_plausible(const std::string& token) const override;

  const FcmSettings& settings() const { return settings_; }
  int token_fetches() const { return tokens_.fetches_started(); }

 private:
  struct Attempt;
  using Conn = std::shared_ptr<apns::Http2Connection>;

  void start_attempt(const std::shared_ptr<Attempt>& a);
  void submit_send(const std::shared_ptr<Attempt>& a, const std::string& access_token);
  void on_result(const std::shared_ptr<Attempt>& a, apns::Http2Result result);
  void complete(const std::shared_ptr<Attempt>& a, UpstreamResult result);
  void fetch_token(AccessTokenCache::FetchDone done);
  Conn connection(Conn& slot, const std::string& host, uint16_t port);

  asio::io_context& io_;
  FcmSettings settings_;
  std::shared_ptr<ServiceAccountSigner> signer_;
  std::string token_path_;
  std::shared_ptr<asio::ssl::context> tls_;
  Conn send_conn_;
  Conn token_conn_;
  AccessTokenCache tokens_;
  std::chrono::steady_clock::time_point paused_until_{};
  UpstreamStatus paused_status_ = UpstreamStatus::throttled;
  // Callbacks hold a weak_ptr to this: they outlive the upstream in queues.
  std::shared_ptr<FcmUpstream*> self_;
};

}  // namespace herald::push::fcm
