// The FCM HTTP v1 request Herald sends for one push, and the small parsers it
// needs around it.
//
// Contract: pure functions, no I/O. fcm_message_body() is a data-only message
// with Android priority "high" (so the app is woken even in Doze) whose data
// holds only fixed wake-up keys: never message content, a JID or anything
// from the publish (docs/privacy.md). The app fetches its messages itself.
// Tokens are opaque to Herald: plausible_fcm_token() only rejects what FCM can
// never accept (empty, longer than 4096 bytes, spaces or non-printable bytes);
// FCM tokens are not hex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::push::fcm {

// "/v1/projects/<project>/messages:send"
std::string fcm_send_path(std::string_view project_id);
// {"message":{"token":T,"android":{"priority":"high"},"data":{"type":"wake-up"}}}
std::string fcm_message_body(std::string_view token);

bool plausible_fcm_token(std::string_view token);

struct HttpsUrl {
  std::string host;
  uint16_t port = 443;
  std::string path = "/";
};
// "https://host[:port][/path]"; nullopt for anything else (http:// included:
// the token travels in the request).
std::optional<HttpsUrl> parse_https_url(std::string_view url);

}  // namespace herald::push::fcm
