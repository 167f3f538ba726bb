// TURN credentials in the "TURN REST API" form that coturn accepts with
// use-auth-secret / static-auth-secret (draft-uberti-behave-turn-rest):
// username "<expiry unix time>:<id>", password base64(HMAC-SHA1(shared
// secret, username)). coturn refuses the username once the expiry passed, so
// the lifetime is enforced by the relay without any state shared with Herald.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace herald::turn {

struct TurnCredentials {
  std::string username;
  std::string password;
  int64_t expires_at = 0;  // unix seconds
};

TurnCredentials make_credentials(std::string_view shared_secret, int64_t expires_at,
                                 std::string_view id);

// HMAC over raw bytes; results are raw bytes (20 and 64 long).
std::string hmac_sha1(std::string_view key, std::string_view data);
std::string hmac_sha512(std::string_view key, std::string_view data);

// What the app must send for a challenge (docs/protocol.md "TURN fallback
// credential API"): HMAC-SHA512(key = app secret, data = valid_until as an
// 8-byte little-endian unsigned integer || the challenge's UTF-8 bytes), raw.
std::string challenge_response(std::string_view app_secret, uint64_t valid_until,
                               std::string_view challenge);

}  // namespace herald::turn
