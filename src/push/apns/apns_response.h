// Classifies an APNs response into the UpstreamResult the push layer acts on.
//
// Contract: pure functions, no I/O. parse_apns_error_body() reads Apple's
// JSON error body `{"reason": "...", "timestamp": <ms>}` and tolerates junk.
// classify_apns_response() maps (HTTP status, reason, timestamp) following
// Apple's "Handling notification responses from APNs": 410 → token_dead,
// BadDeviceToken/DeviceTokenNotForTopic → token_invalid, other 4xx → rejected,
// 429 → throttled, 5xx → unavailable. Retrying ExpiredProviderToken is the
// caller's job (is_expired_provider_token()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "push/upstream.h"

namespace herald::push::apns {

struct ApnsErrorBody {
  std::string reason;
  std::optional<int64_t> timestamp_ms;
};

ApnsErrorBody parse_apns_error_body(std::string_view body);

UpstreamResult classify_apns_response(int http_status, std::string_view reason,
                                      std::optional<int64_t> timestamp_ms);

bool is_expired_provider_token(int http_status, std::string_view reason);

}  // namespace herald::push::apns
