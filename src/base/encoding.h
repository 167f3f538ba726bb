// Byte encodings used across layers: lowercase hex, base64, base64url, and
// UTC timestamps as operators read them.
// Decoders return std::nullopt on malformed input instead of guessing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

std::string hex_encode(std::string_view bytes);
std::optional<std::string> hex_decode(std::string_view hex);
bool is_hex(std::string_view s);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// RFC 4648 section 5 alphabet, without padding (as JWTs use it).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// ISO 8601 in UTC to the second, e.g. 2026-11-21T05:30:56Z.
std::string utc_timestamp(std::chrono::system_clock::time_point t);

}  // namespace herald
