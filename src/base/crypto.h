// Small wrappers over OpenSSL's one-shot digests, HMAC and CSPRNG, so the
// layers above never touch EVP contexts for these common cases.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace herald {

std::string sha256(std::string_view data);  // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
// Bytes from OpenSSL's CSPRNG; aborts if the generator cannot be seeded,
// because every caller uses them for secrets or identifiers.
std::string random_bytes(size_t n);
// SipHash-2-4 (64-bit output) under a 128-bit key: a keyed hash for
// in-memory table keys derived from device tokens. Without the key, a memory
// dump does not tell whether a known token was seen; ~1,500 instructions
// against HMAC-SHA-256's ~18,000. Not for anything stored or shared.
class KeyedHash {
 public:
  KeyedHash();                           // a fresh random key
  explicit KeyedHash(std::string_view key);  // 16 bytes (known-answer tests)
  ~KeyedHash();
  KeyedHash(const KeyedHash&) = delete;
  KeyedHash& operator=(const KeyedHash&) = delete;
  uint64_t operator()(std::string_view data) const;

 private:
  EVP_MAC_CTX* keyed_;  // initialised once; each call works on a copy
};

// Compares in time independent of where the inputs differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace herald
