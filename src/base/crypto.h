// Small wrappers over OpenSSL's one-shot digests, HMAC and CSPRNG, so the
// layers above never touch EVP contexts for these common cases.
#pragma once

#include <string>
#include <string_view>

namespace herald {

std::string sha256(std::string_view data);  // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
// Bytes from OpenSSL's CSPRNG; aborts if the generator cannot be seeded,
// because every caller uses them for secrets or identifiers.
std::string random_bytes(size_t n);
// Compares in time independent of where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace herald
