// v1 registration secrets (docs/privacy.md promise 6): 256 bits from OpenSSL's
// CSPRNG, handed to the registrant once, stored only as SHA-256 (a fast hash
// is enough: the input is uniformly random, nothing to brute-force), compared
// in constant time. Callers never log a secret.
#pragma once

#include <string>
#include <string_view>

namespace herald::push::v1 {

// 32 random bytes, base64url without padding (43 characters).
std::string new_secret();
// 32 raw bytes.
std::string hash_secret(std::string_view secret);
// Whether `secret` hashes to `stored_hash`, in time independent of where
// they differ.
bool secret_matches(std::string_view secret, std::string_view stored_hash);
// A node id Herald chooses: 128 random bits as a lowercase UUID-shaped string.
std::string new_node_id();

}  // namespace herald::push::v1
