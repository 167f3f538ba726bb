// Classifies an FCM HTTP v1 `messages:send` response into the UpstreamResult
// the push layer acts on.
//
// Contract: pure functions, no I/O. parse_fcm_error() reads Google's error
// body `{"error":{"code":..,"status":"NOT_FOUND","details":[{"@type":
// "type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":
// "UNREGISTERED"}]}}` and tolerates junk. The FcmError errorCode decides
// (falling back to the HTTP status), following Firebase's "FCM error codes":
//   200                     → delivered
//   UNREGISTERED (404)      → token_dead: the app was uninstalled or the token expired
//   INVALID_ARGUMENT (400)  → token_invalid when the FcmError detail says so (a
//                             malformed token); without it the request itself
//                             was refused → rejected (our bug, keep the token)
//   SENDER_ID_MISMATCH (403)→ token_invalid: a token of another Firebase project
//                             (token_invalid cancels only while the module has
//                             recent successes, like APNs BadDeviceToken)
//   QUOTA_EXCEEDED (429)    → throttled
//   UNAVAILABLE (503), INTERNAL (500), other 5xx → unavailable
//   401 UNAUTHENTICATED, THIRD_PARTY_AUTH_ERROR, other 4xx → rejected
// A 404 without UNREGISTERED (e.g. an unknown project) is a configuration
// problem, never a dead token. Refreshing the access token after a 401 is the
// caller's job. parse_retry_after() reads Retry-After as delay-seconds.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "push/upstream.h"

namespace herald::push::fcm {

struct FcmError {
  std::string status;      // google.rpc status, e.g. "NOT_FOUND"
  std::string error_code;  // FcmError errorCode, e.g. "UNREGISTERED"; may be empty
};

FcmError parse_fcm_error(std::string_view body);

// The message's resource name from a 200 answer ("projects/P/messages/ID"),
// kept for tracing like APNs's apns-id; "" when the body has none.
std::string parse_fcm_message_name(std::string_view body);

UpstreamResult classify_fcm_response(int http_status, const FcmError& error);

// Delay-seconds only (Google sends those); nullopt when absent or malformed.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

}  // namespace herald::push::fcm
