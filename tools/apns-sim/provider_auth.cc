#include "apns-sim/provider_auth.h"

namespace herald::apns_sim {

Verdict ProviderAuth::check(std::optional<std::string_view> authorization, int64_t now_seconds) {
  if (!authorization || authorization->empty()) return Verdict::error(403, "MissingProviderToken");
  if (!current_.empty() && *authorization == current_) {
    // Already verified on this connection; ECDSA per request would make the
    // simulator the bottleneck of a load test.
    if (now_seconds - current_iat_ > kTokenLifetimeSeconds) {
      return Verdict::error(403, "ExpiredProviderToken");
    }
    return Verdict::success();
  }
  JwtResult result = verifier_.verify(*authorization, now_seconds);
  if (!result.verdict.ok()) return result.verdict;
  // Measured between the tokens' iat values: Apple's rule is about how often
  // the provider recreates its token, not about how long this connection is up.
  if (limit_token_updates_ && !current_.empty() &&
      result.iat < current_iat_ + kMinTokenUpdateSeconds) {
    return Verdict::error(429, "TooManyProviderTokenUpdates");
  }
  current_.assign(*authorization);
  current_iat_ = result.iat;
  return Verdict::success();
}

}  // namespace herald::apns_sim
