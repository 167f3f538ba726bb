// What the server keeps to check a password: per hash function, the SCRAM
// keys of RFC 5802 (salt, iteration count, StoredKey, ServerKey), never the
// password. PLAIN logins are checked against the same keys.
//
// derive() runs PBKDF2 (hundreds of milliseconds at high iteration counts):
// call it off the event loops (net::CpuPool), never on one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace herald::xmpp::sasl {

enum class Hash { sha1, sha256, sha512 };

std::string_view hash_name(Hash h);           // "SHA-1", "SHA-256", "SHA-512"
std::optional<Hash> parse_hash_name(std::string_view name);

struct ScramCredentials {
  Hash hash = Hash::sha256;
  std::string salt;        // raw bytes
  uint32_t iterations = 0;
  std::string stored_key;  // raw bytes, H(ClientKey)
  std::string server_key;  // raw bytes, HMAC(SaltedPassword, "Server Key")
};

// The password is SASLprep'ed first (RFC 4013 via libidn's stringprep); a
// password SASLprep refuses is `invalid`. A fresh random salt of 16 bytes
// when `salt` is empty.
Result<ScramCredentials> derive(Hash hash, std::string_view password, uint32_t iterations,
                                std::string_view salt = {});

// Constant-time check of a plaintext password (PLAIN, XEP-0077 change
// checks) against stored credentials: derives with their salt and
// iterations and compares StoredKey. CPU-heavy like derive().
bool password_matches(const ScramCredentials& stored, std::string_view password);

}  // namespace herald::xmpp::sasl
