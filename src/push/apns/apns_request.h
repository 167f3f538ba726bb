// One push module's APNs settings and the HTTP/2 request built from them.
//
// Contract: build_apns_request() turns a PushJob into the method, path,
// headers and body of POST /3/device/<token>. The payload is a fixed wake-up
// text from the settings, never message content (docs/privacy.md); the app's
// notification extension replaces it. Push types follow docs/protocol.md: `alert`
// (priority 10, mutable-content), `voip` (topic + ".voip", priority 10) and
// `background` (priority 5, content-available, no alert) — but a module set
// to background still sends an important job (non-empty body, Tigase
// priority high) as an alert, so a message is not throttled like a chat
// state. extra_payload is a JSON object merged beside "aps" (operators use it
// e.g. to tell old app builds to update). An empty `jwt` means certificate
// auth: no authorization header. apns-expiration is computed from the
// `now` passed in, so it is fresh for every request and testable. Settings are
// checked once by check_apns_settings() at configuration time (topic present,
// payload within Apple's size limit), so building a request cannot fail.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "push/upstream.h"

namespace herald::push::apns {

struct ApnsModuleSettings {
  enum class PushType { alert, background, voip };

  std::string topic;                        // the app's bundle id
  std::string host = "api.push.apple.com";  // or api.sandbox.push.apple.com
  uint16_t port = 443;
  PushType push_type = PushType::alert;
  std::string alert_title = "New message";
  std::string alert_body = "Open the app to read it";
  std::string sound = "default";  // empty: no sound key
  std::chrono::seconds expiration{28 * 24 * 3600};
  std::optional<std::string> collapse_id;
  std::chrono::milliseconds request_timeout{10000};  // then the outcome is unknown
  std::string extra_payload;  // JSON object text merged into the payload; empty: none
  // The connection pool an upstream builds for itself (see ConnectionPool).
  size_t connections = 2;
  size_t max_queue = 1000;
  std::chrono::milliseconds ping_interval{60000};
};

const char* to_string(ApnsModuleSettings::PushType type);

struct ApnsRequest {
  std::string method;                                        // "POST"
  std::string path;                                          // "/3/device/<token>"
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase names, no pseudo-headers
  std::string body;
  std::string apns_id;  // also in headers; kept for logs
};

struct Http2Request;
// The request as Http2Connection sends it; the token's path and the apns-id
// are marked as unique per request (not worth HPACK indexing).
Http2Request to_http2(ApnsRequest request);

// 4096 bytes, 5120 for VoIP.
size_t apns_payload_limit(ApnsModuleSettings::PushType type);
// The push type a job is sent as: the module's, except that an important job
// of a background module goes out as an alert.
ApnsModuleSettings::PushType effective_push_type(const ApnsModuleSettings& settings,
                                                 const PushJob& job);
std::string apns_payload(const ApnsModuleSettings& settings, ApnsModuleSettings::PushType type);
std::string apns_payload(const ApnsModuleSettings& settings);  // for the module's own type
// Empty when usable; else a message for the configuration error.
std::string check_apns_settings(const ApnsModuleSettings& settings);

ApnsRequest build_apns_request(const ApnsModuleSettings& settings, const PushJob& job,
                               std::string_view jwt, std::chrono::system_clock::time_point now);

// Non-empty, hex digits only, even length, at most 200 digits. APNs tokens are
// usually 64 digits but Apple does not promise a length.
bool plausible_apns_token(std::string_view token);

// A random UUID (version 4), lowercase, as apns-id wants it.
std::string random_uuid();

}  // namespace herald::push::apns
