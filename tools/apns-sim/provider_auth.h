// Per-connection provider-token state, as APNs keeps it: the connection's
// current JWT is verified once and then only re-checked for age; a different
// JWT replaces it, unless it was issued less than 20 minutes after the
// current one (429 TooManyProviderTokenUpdates; switchable because test
// suites restart clients far more often than production does).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "apns-sim/jwt_verifier.h"
#include "apns-sim/request.h"

namespace herald::apns_sim {

inline constexpr int64_t kMinTokenUpdateSeconds = 20 * 60;

class ProviderAuth {
 public:
  ProviderAuth(const JwtVerifier& verifier, bool limit_token_updates)
      : verifier_(verifier), limit_token_updates_(limit_token_updates) {}

  // `authorization` is the header value, or nullopt when the header is
  // absent (403 MissingProviderToken).
  Verdict check(std::optional<std::string_view> authorization, int64_t now_seconds);

  // True once any request on this connection passed authentication.
  bool authenticated() const { return !current_.empty(); }

 private:
  const JwtVerifier& verifier_;
  bool limit_token_updates_;
  std::string current_;  // the accepted authorization value
  int64_t current_iat_ = 0;
};

}  // namespace herald::apns_sim
