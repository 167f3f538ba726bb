// fcm-sim's behaviour: Google's OAuth2 token endpoint and FCM's HTTP v1
// `messages:send`, both answered on one TLS HTTP/2 listener (sim-common).
//
// Token endpoint (POST <token path>, form `grant_type=urn:ietf:params:oauth:
// grant-type:jwt-bearer&assertion=JWT`): the assertion is checked by the
// AssertionVerifier; good → 200 {"access_token":..,"expires_in":N,
// "token_type":"Bearer"} with a fresh opaque token valid N s; bad → 400
// {"error":"invalid_grant",...}.
// Send endpoint (POST /v1/projects/<p>/messages:send): a missing, unknown or
// expired bearer token → 401 UNAUTHENTICATED; another project → 403
// PERMISSION_DENIED; a message that is not data-only with a token (a
// `notification` block, missing or non-string data, no token) → 400
// INVALID_ARGUMENT with a google.rpc.BadRequest detail; otherwise the token's
// Behaviour: 200 {"name":"projects/<p>/messages/<id>"} or Google's error
// shape with an FcmError detail. QUOTA_EXCEEDED and UNAVAILABLE carry
// Retry-After when configured. Anything else → 404.
// Every request is recorded (if a Recorder is given) as one JSON line:
// time_ms, kind ("token" | "send" | "other"), path, status, error (FcmError
// code or the reason), for token requests the assertion (so tests can verify
// it independently), and for sends the device token and the message.
// Single-threaded; the clock is injected for tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "fcm-sim/assertion_verifier.h"
#include "fcm-sim/token_behaviours.h"
#include "sim-common/h2_connection.h"

namespace herald::fcm_sim {

// Appends lines to a file, flushed at once so tests can read while it runs.
// Holds device tokens: a test tool, never for production data.
class Recorder {
 public:
  explicit Recorder(const std::string& path);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;
  bool ok() const { return file_ != nullptr; }
  void write(const std::string& line);

 private:
  FILE* file_;
};

struct SimConfig {
  std::string project_id;
  std::string token_path = "/token";
  std::chrono::seconds token_lifetime{3600};  // expires_in of issued access tokens
  int retry_after_s = 1;                      // on 429/503; 0: no Retry-After header
};

class Simulator {
 public:
  using NowMs = std::function<int64_t()>;
  Simulator(SimConfig config, const AssertionVerifier& verifier, TokenBehaviours& behaviours,
            Recorder* recorder, NowMs now_ms = {});

  sim::H2Response handle(const sim::H2Request& request);
  // Every access token issued so far stops working (as if Google revoked them).
  void revoke_access_tokens() { access_tokens_.clear(); }

  uint64_t token_grants() const { return token_grants_; }
  uint64_t sends() const { return sends_; }
  uint64_t delivered() const { return delivered_; }

  // A HandlerFactory for sim::H2Server that routes every request here.
  std::function<std::unique_ptr<sim::ConnectionHandler>(uint64_t)> handler_factory();

 private:
  sim::H2Response token_endpoint(const sim::H2Request& request, std::string* note);
  sim::H2Response send_endpoint(const sim::H2Request& request, std::string* token,
                                std::string* message, std::string* note);

  SimConfig config_;
  const AssertionVerifier& verifier_;
  TokenBehaviours& behaviours_;
  Recorder* recorder_;
  NowMs now_ms_;
  std::map<std::string, int64_t> access_tokens_;  // token -> expiry (ms)
  uint64_t token_grants_ = 0;
  uint64_t sends_ = 0;
  uint64_t delivered_ = 0;
  uint64_t next_message_id_ = 1;
};

}  // namespace herald::fcm_sim
