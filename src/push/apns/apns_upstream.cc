#include "push/apns/apns_upstream.h"

#include <algorithm>
#include <stdexcept>

#include "base/log.h"
#include "push/apns/apns_response.h"

namespace herald::push::apns {

struct ApnsUpstream::Attempt {
  PushJob job;
  std::function<void(UpstreamResult)> done;
  std::string apns_id;  // kept across resends so one push has one id in the logs
  std::string jwt;      // the token this attempt used, to invalidate exactly it
  bool resent_after_expired_token = false;
};

std::shared_ptr<ConnectionPool> ApnsUpstream::make_pool(asio::io_context& io,
                                                       const ApnsModuleSettings& settings,
                                                       const std::string& extra_ca_file,
                                                       const TlsClientIdentity& identity) {
  PoolOptions o;
  o.host = settings.host;
  o.port = settings.port;
  o.connections = settings.connections;
  o.max_queue = settings.max_queue;
  o.request_timeout = settings.request_timeout;
  o.ping_interval = settings.ping_interval;
  return std::make_shared<ConnectionPool>(io, make_http2_tls_context(extra_ca_file, identity), o);
}

ApnsUpstream::ApnsUpstream(asio::io_context& io, ApnsModuleSettings settings,
                           std::shared_ptr<JwtSigner> signer, const std::string& extra_ca_file,
                           const TlsClientIdentity& identity)
    : ApnsUpstream(io, settings, std::move(signer),
                   make_pool(io, settings, extra_ca_file, identity)) {}

ApnsUpstream::ApnsUpstream(asio::io_context& io, ApnsModuleSettings settings,
                           std::shared_ptr<JwtSigner> signer, std::shared_ptr<ConnectionPool> pool)
    : io_(io),
      settings_(std::move(settings)),
      signer_(std::move(signer)),
      pool_(std::move(pool)),
      self_(std::make_shared<ApnsUpstream*>(this)) {
  if (std::string error = check_apns_settings(settings_); !error.empty()) {
    throw std::invalid_argument(error);
  }
  if (!pool_) throw std::invalid_argument("APNs: no connection pool");
}

ApnsUpstream::~ApnsUpstream() { self_.reset(); }

bool ApnsUpstream::token_plausible(const std::string& token) const {
  return plausible_apns_token(token);
}

void ApnsUpstream::send(const PushJob& job, std::function<void(UpstreamResult)> done) {
  auto a = std::make_shared<Attempt>();
  a->job = job;
  a->done = std::move(done);
  if (!plausible_apns_token(job.token)) {
    // APNs would answer BadDeviceToken; do not spend a request on it.
    complete(a, {UpstreamStatus::token_invalid, 0, "BadDeviceToken (not hex)", std::nullopt});
    return;
  }
  start_attempt(a);
}

void ApnsUpstream::start_attempt(const std::shared_ptr<Attempt>& a) {
  auto now = std::chrono::system_clock::now();
  a->jwt = signer_ ? signer_->current(now) : std::string();
  ApnsRequest built = build_apns_request(settings_, a->job, a->jwt, now);
  if (a->apns_id.empty()) {
    a->apns_id = built.apns_id;
  } else {
    for (auto& [name, value] : built.headers) {
      if (name == "apns-id") value = a->apns_id;
    }
  }
  Http2Request request = to_http2(std::move(built));
  std::weak_ptr<ApnsUpstream*> weak = self_;
  pool_->submit(std::move(request), [weak, a](Http2Result result) {
    if (auto self = weak.lock()) return (*self)->on_result(a, std::move(result));
    // Shut down meanwhile: report without resending.
    UpstreamResult r;
    r.status = result.outcome == Http2Outcome::unknown ? UpstreamStatus::unknown
                                                       : UpstreamStatus::unavailable;
    r.reason = "upstream shut down";
    a->done(std::move(r));
  });
}

void ApnsUpstream::on_result(const std::shared_ptr<Attempt>& a, Http2Result result) {
  switch (result.outcome) {
    case Http2Outcome::not_processed:
      // The pool already resent it as often as it may. Apple never
      // processed it: its apns-id names nothing in Apple's records.
      return complete(a, {UpstreamStatus::unavailable, 0, result.error, std::nullopt});
    case Http2Outcome::unknown:
      // Written, perhaps processed: the id it went with may be in Apple's records.
      return complete(a, {UpstreamStatus::unknown, 0, result.error, std::nullopt, a->apns_id});
    case Http2Outcome::response:
      break;
  }
  const Http2Response& response = result.response;
  ApnsErrorBody error;
  if (response.status != 200) error = parse_apns_error_body(response.body);
  if (signer_ && is_expired_provider_token(response.status, error.reason) &&
      !a->resent_after_expired_token) {
    a->resent_after_expired_token = true;
    signer_->invalidate(a->jwt);
    log::info("apns {}: provider token expired, refreshing", settings_.host);
    return start_attempt(a);
  }
  std::string unique_id = response.header("apns-unique-id");
  if (!unique_id.empty()) log::debug("apns {}: apns-unique-id {}", a->apns_id, unique_id);
  UpstreamResult classified =
      classify_apns_response(response.status, error.reason, error.timestamp_ms);
  // Apple echoes the apns-id sent; should it ever differ, its own is what its records know.
  classified.upstream_id = response.header("apns-id");
  if (classified.upstream_id.empty()) classified.upstream_id = a->apns_id;
  complete(a, std::move(classified));
}

void ApnsUpstream::complete(const std::shared_ptr<Attempt>& a, UpstreamResult result) {
  // Hashed only if the line is written: the delivered line is debug. No
  // apns-id for a request Apple never received.
  const log::Fingerprint fp{a->job.token};
  const std::string id = result.upstream_id.empty() ? "-" : result.upstream_id;
  if (result.status == UpstreamStatus::delivered) {
    log::debug("apns {}: token {} status {} apns-id {}: delivered", settings_.host, fp,
               result.http_status, id);
  } else if (result.status == UpstreamStatus::token_dead ||
             result.status == UpstreamStatus::token_invalid) {
    log::info("apns {}: token {} status {} reason {} apns-id {}: {}", settings_.host, fp,
              result.http_status, result.reason, id, to_string(result.status));
  } else {
    log::warn("apns {}: token {} status {} reason {} apns-id {}: {}", settings_.host, fp,
              result.http_status, result.reason, id, to_string(result.status));
  }
  // Always posted, so `done` never runs inside send().
  asio::post(io_, [done = std::move(a->done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

}  // namespace herald::push::apns
