// The TURN fallback credential API (docs/protocol.md "TURN fallback credential
// API"), served over http::Server:
//
//   GET  /api/v1/challenge/new      -> 200 {"challenge": "...", "validUntil": N}
//   POST /api/v1/challenge/validate {"challenge": {...}, "appId": "...",
//                                    "challengeResponse": "<base64>"}
//                                   -> 200 {"username", "password", "ttl", "uris"}
//
// Errors are JSON {"error": "<code>", "message": "..."}, checked in this order:
//   429 rate_limited       too many requests from this address (Retry-After)
//   400 bad_request        body not JSON or fields missing / of the wrong type
//   403 unknown_app        appId is not configured
//   410 challenge_expired  validUntil has passed
//   410 challenge_unknown  never issued here (or issued before a restart)
//   409 challenge_used     already redeemed (single use, even after a failure)
//   401 bad_response       the HMAC does not match
//   503 busy               (challenge/new) too many outstanding challenges
// The response is checked in constant time. Credentials are signed with the
// first of the shared secrets (the newest, during a rollover); coturn accepts
// any secret it lists. Nothing is logged above debug: the API learns the
// time of a call setup and writes it nowhere (docs/privacy.md "TURN fallback").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "http/router.h"
#include "turn/challenge_store.h"
#include "turn/ip_rate_limiter.h"

namespace herald::turn {

struct TurnApp {
  std::string id;
  std::string secret;  // shipped inside the app; keyed HMAC-SHA512 of challenges
};

struct TurnApiOptions {
  std::vector<TurnApp> apps;
  std::vector<std::string> shared_secrets;  // [0] signs; the rest are still valid at coturn
  std::vector<std::string> uris;            // "turn:host:3478?transport=udp", ...
  std::chrono::seconds challenge_lifetime{30};
  std::chrono::seconds credential_lifetime{12 * 3600};
  size_t max_challenges = 100000;
  size_t rate_limit_requests = 30;  // per address and window; 0: off
  std::chrono::seconds rate_limit_window{60};
};

class TurnApi {
 public:
  using Clock = std::function<int64_t()>;  // unix seconds

  // Throws std::invalid_argument without apps or shared secrets.
  explicit TurnApi(TurnApiOptions options, Clock clock = system_clock());
  void add_routes(http::Router& router);

  http::Response new_challenge(const http::Request& request);
  http::Response validate(const http::Request& request);

  static Clock system_clock();
  size_t outstanding_challenges() const { return challenges_.size(); }

 private:
  bool rate_limited(const http::Request& request, http::Response* refusal);

  TurnApiOptions options_;
  Clock clock_;
  ChallengeStore challenges_;
  IpRateLimiter limiter_;
};

// The JSON error body used above, for tests and other services.
http::Response json_error(int status, const std::string& code, const std::string& message);

}  // namespace herald::turn
