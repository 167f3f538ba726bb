#include "push/fcm/fcm_upstream.h"

#include <algorithm>
#include <stdexcept>

#include "base/log.h"
#include "push/fcm/fcm_message.h"
#include "push/fcm/fcm_response.h"

namespace herald::push::fcm {

using apns::Http2Connection;
using apns::Http2Outcome;
using apns::Http2Request;
using apns::Http2Result;

struct FcmUpstream::Attempt {
  PushJob job;
  std::function<void(UpstreamResult)> done;
  std::string access_token;  // the one this attempt used, to invalidate exactly it
  bool resent_after_unauthenticated = false;
  bool resent_after_not_processed = false;
};

FcmUpstream::FcmUpstream(asio::io_context& io, FcmSettings settings,
                         std::shared_ptr<ServiceAccountSigner> signer,
                         const std::string& extra_ca_file)
    : io_(io),
      settings_(std::move(settings)),
      signer_(std::move(signer)),
      tls_(apns::make_http2_tls_context(extra_ca_file)),
      tokens_([this](AccessTokenCache::FetchDone done) { fetch_token(std::move(done)); }),
      self_(std::make_shared<FcmUpstream*>(this)) {
  if (!signer_) throw std::invalid_argument("FCM: no service account");
  const ServiceAccount& account = signer_->account();
  if (settings_.project_id.empty()) settings_.project_id = account.project_id;
  if (settings_.project_id.empty()) {
    throw std::invalid_argument("FCM: no project id (neither configured nor in the service account)");
  }
  auto url = parse_https_url(account.token_uri);
  if (!url) throw std::invalid_argument("FCM: service account token_uri is not an https URL");
  token_path_ = url->path;
  if (settings_.token_host.empty()) {
    settings_.token_host = url->host;
    settings_.token_port = url->port;
  }
}

FcmUpstream::~FcmUpstream() {
  self_.reset();
  if (send_conn_) send_conn_->close("upstream shut down");
  if (token_conn_) token_conn_->close("upstream shut down");
}

bool FcmUpstream::token_plausible(const std::string& token) const {
  return plausible_fcm_token(token);
}

FcmUpstream::Conn FcmUpstream::connection(Conn& slot, const std::string& host, uint16_t port) {
  if (slot && slot->accepting()) return slot;
  if (slot) {
    // Drained (GOAWAY) or failed: let it finish its streams on its own.
    if (slot->outstanding() == 0) slot->close("replaced");
    slot.reset();
  }
  apns::Http2Options options;
  options.host = host;
  options.port = port;
  options.request_timeout = settings_.request_timeout;
  slot = Http2Connection::create(io_, tls_, options);
  std::string name = host;
  slot->set_closed_handler([name](bool was_connected, const std::string& why) {
    if (was_connected) {
      log::info("fcm {}: connection closed: {}", name, why);
    } else {
      log::warn("fcm {}: connect failed: {}", name, why);
    }
  });
  slot->start();
  return slot;
}

void FcmUpstream::fetch_token(AccessTokenCache::FetchDone done) {
  Conn conn = connection(token_conn_, settings_.token_host, settings_.token_port);
  Http2Request request;
  request.method = "POST";
  request.path = token_path_;
  request.headers = {{"content-type", "application/x-www-form-urlencoded"},
                     {"accept", "application/json"}};
  try {
    request.body = token_request_body(signer_->assertion(std::chrono::system_clock::now()));
  } catch (const std::exception& e) {
    return done({std::nullopt, e.what()});
  }
  std::string host = settings_.token_host;
  conn->submit(std::move(request), [done = std::move(done), host](Http2Result result) {
    AccessTokenCache::FetchResult out;
    if (result.outcome != Http2Outcome::response) {
      out.error = "token endpoint: " + result.error;
    } else {
      out.token = parse_token_response(result.response.status, result.response.body, &out.error);
    }
    if (out.token) {
      log::debug("fcm {}: access token fetched, valid {} s", host, out.token->expires_in.count());
    } else {
      log::warn("fcm {}: access token fetch failed: {}", host, out.error);
    }
    done(std::move(out));
  });
}

void FcmUpstream::send(const PushJob& job, std::function<void(UpstreamResult)> done) {
  auto a = std::make_shared<Attempt>();
  a->job = job;
  a->done = std::move(done);
  if (!plausible_fcm_token(job.token)) {
    // FCM would answer INVALID_ARGUMENT; do not spend a request on it.
    complete(a, {UpstreamStatus::token_invalid, 0, "INVALID_ARGUMENT (malformed token)", {}});
    return;
  }
  if (std::chrono::steady_clock::now() < paused_until_) {
    complete(a, {paused_status_, 0, "Retry-After pause", std::nullopt});
    return;
  }
  start_attempt(a);
}

void FcmUpstream::start_attempt(const std::shared_ptr<Attempt>& a) {
  std::weak_ptr<FcmUpstream*> weak = self_;
  tokens_.get([weak, a](const std::string& token, const std::string& error) {
    auto self = weak.lock();
    if (!self) {
      UpstreamResult r;
      r.status = UpstreamStatus::unavailable;
      r.reason = "upstream shut down";
      a->done(std::move(r));
      return;
    }
    if (token.empty()) {
      (*self)->complete(a, {UpstreamStatus::unavailable, 0, error, std::nullopt});
      return;
    }
    (*self)->submit_send(a, token);
  });
}

void FcmUpstream::submit_send(const std::shared_ptr<Attempt>& a, const std::string& access_token) {
  a->access_token = access_token;
  Conn conn = connection(send_conn_, settings_.host, settings_.port);
  Http2Request request;
  request.method = "POST";
  request.path = fcm_send_path(settings_.project_id);
  request.headers = {{"authorization", "Bearer " + access_token},
                     {"content-type", "application/json; charset=utf-8"}};
  request.body = fcm_message_body(a->job.token);
  std::weak_ptr<FcmUpstream*> weak = self_;
  conn->submit(std::move(request), [weak, a](Http2Result result) {
    if (auto self = weak.lock()) return (*self)->on_result(a, std::move(result));
    UpstreamResult r;
    r.status = result.outcome == Http2Outcome::unknown ? UpstreamStatus::unknown
                                                       : UpstreamStatus::unavailable;
    r.reason = "upstream shut down";
    a->done(std::move(r));
  });
}

void FcmUpstream::on_result(const std::shared_ptr<Attempt>& a, Http2Result result) {
  switch (result.outcome) {
    case Http2Outcome::not_processed:
      if (!a->resent_after_not_processed) {
        a->resent_after_not_processed = true;
        log::debug("fcm {}: send not processed ({}), resending", settings_.project_id,
                   result.error);
        return start_attempt(a);
      }
      return complete(a, {UpstreamStatus::unavailable, 0, result.error, std::nullopt});
    case Http2Outcome::unknown:
      return complete(a, {UpstreamStatus::unknown, 0, result.error, std::nullopt});
    case Http2Outcome::response:
      break;
  }
  const apns::Http2Response& response = result.response;
  if (response.status == 401 && !a->resent_after_unauthenticated) {
    a->resent_after_unauthenticated = true;
    tokens_.invalidate(a->access_token);
    log::info("fcm {}: access token refused (401), refreshing", settings_.project_id);
    return start_attempt(a);
  }
  FcmError error;
  if (response.status != 200) error = parse_fcm_error(response.body);
  UpstreamResult classified = classify_fcm_response(response.status, error);
  if (response.status == 200) classified.upstream_id = parse_fcm_message_name(response.body);
  if (classified.status == UpstreamStatus::throttled ||
      classified.status == UpstreamStatus::unavailable) {
    if (auto retry_after = parse_retry_after(response.header("retry-after"))) {
      auto pause = std::min(*retry_after, settings_.max_retry_after);
      paused_until_ = std::max(paused_until_, std::chrono::steady_clock::now() + pause);
      paused_status_ = classified.status;
      log::warn("fcm {}: {} with Retry-After {} s: pausing sends", settings_.project_id,
                classified.reason, pause.count());
    }
  }
  complete(a, std::move(classified));
}

void FcmUpstream::complete(const std::shared_ptr<Attempt>& a, UpstreamResult result) {
  // Hashed only if the line is written: the delivered line is debug.
  const log::Fingerprint fp{a->job.token};
  if (result.status == UpstreamStatus::delivered) {
    log::debug("fcm {}: token {} status {}: delivered", settings_.project_id, fp,
               result.http_status);
  } else if (result.status == UpstreamStatus::token_dead ||
             result.status == UpstreamStatus::token_invalid) {
    log::info("fcm {}: token {} status {} reason {}: {}", settings_.project_id, fp,
              result.http_status, result.reason, to_string(result.status));
  } else {
    log::warn("fcm {}: token {} status {} reason {}: {}", settings_.project_id, fp,
              result.http_status, result.reason, to_string(result.status));
  }
  // Always posted, so `done` never runs inside send().
  asio::post(io_, [done = std::move(a->done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
}

}  // namespace herald::push::fcm
