// What the server keeps to check a password: per hash function, the SCRAM
// keys of RFC 5802 (salt, iteration count, StoredKey, ServerKey), never the
// password. PLAIN logins are checked against the same keys.
//
// derive() and password_matches() run PBKDF2 (milliseconds to hundreds of
// them at high iteration counts): call them off the event loops
// (net::CpuPool), never on one.
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

// Iteration counts derive() accepts. 4096 is RFC 7677's floor; the upper
// bound keeps a configuration typo from stalling the CPU pool for minutes.
constexpr uint32_t kMinIterations = 4096;
constexpr uint32_t kMaxIterations = 10'000'000;

struct ScramCredentials {
  Hash hash = Hash::sha256;
  std::string salt;        // raw bytes
  uint32_t iterations = 0;
  std::string stored_key;  // raw bytes, H(ClientKey)
  std::string server_key;  // raw bytes, HMAC(SaltedPassword, "Server Key")
};

// The password is SASLprep'ed first (RFC 4013 via libidn's stringprep, with
// the rules for stored strings); a password SASLprep refuses or empties is
// `invalid`, and so is an iteration count outside [kMinIterations,
// kMaxIterations]. A fresh random salt of 16 bytes when `salt` is empty.
Result<ScramCredentials> derive(Hash hash, std::string_view password, uint32_t iterations,
                                std::string_view salt = {});

// Constant-time check of a plaintext password (PLAIN, XEP-0077 change
// checks) against stored credentials: derives with their salt and
// iterations and compares StoredKey. CPU-heavy like derive(). False for
// credentials that are not well formed.
bool password_matches(const ScramCredentials& stored, std::string_view password);

// Stand-in credentials for a user that does not exist (or has none for this
// hash), so that a client cannot tell an unknown user from a wrong password:
// the salt is derived from `secret` (a server secret kept outside the
// database), the hash and the user name, so it is the same on every try and
// differs between servers; the keys are random, so nothing matches them.
// Use the iteration count real credentials get.
ScramCredentials fake_credentials(Hash hash, std::string_view secret, std::string_view username,
                                  uint32_t iterations);

}  // namespace herald::xmpp::sasl
