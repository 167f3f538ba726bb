// Apple's checks on a notification request that need no credentials: the
// route (method, path, device token) and the notification itself (apns-*
// headers and payload). Pure functions; authentication lives in
// provider_auth.h. Where Apple's documentation leaves a choice open, the
// choice is stated here and in README.md.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "apns-sim/request.h"

namespace herald::apns_sim {

struct ValidatorConfig {
  // Exact apns-topic values the simulated team may push to, e.g.
  // "com.example.app" and "com.example.app.voip".
  std::set<std::string> topics;
};

// Device tokens: hex digits (either case), even count, 64 to 200 digits.
// Apple's tokens are 64 today and documented as variable in length, so the
// simulator accepts longer ones rather than pinning 64.
inline constexpr size_t kMinTokenHexDigits = 64;
inline constexpr size_t kMaxTokenHexDigits = 200;
inline constexpr size_t kMaxPayload = 4096;
inline constexpr size_t kMaxVoipPayload = 5120;
inline constexpr size_t kMaxCollapseId = 64;

// Method and path: 405 MethodNotAllowed, 404 BadPath, 400 MissingDeviceToken,
// 400 BadDeviceToken. On success stores the token (lowercased) in *token.
Verdict check_route(const Request& request, std::string* token);

// Repeated apns-* or authorization headers: 400 DuplicateHeaders.
Verdict check_duplicates(const Request& request);

// apns-topic, apns-push-type, apns-priority, apns-expiration, apns-id,
// apns-collapse-id and the payload, in that order.
Verdict check_notification(const Request& request, const ValidatorConfig& config);

// Canonical 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view text);
bool is_known_push_type(std::string_view push_type);

}  // namespace herald::apns_sim
