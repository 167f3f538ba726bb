#include "base/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>

namespace herald {

namespace {

// OpenSSL 3's one-shot SHA256() and HMAC() look the algorithm up by name on
// every call, about half of their cost on a token-sized input; both run
// several times per push (token fingerprints, rate-limit keys), so the
// algorithms are fetched once.
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

// An HMAC-SHA256 context with the digest set; copies get their key by init.
const EVP_MAC_CTX* hmac_sha256_template() {
  static EVP_MAC_CTX* ctx = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* c = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    EVP_MAC_free(mac);  // the context keeps its own reference
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                           OSSL_PARAM_construct_end()};
    if (c && EVP_MAC_CTX_set_params(c, params) != 1) {
      EVP_MAC_CTX_free(c);
      c = nullptr;
    }
    return c;
  }();
  return ctx;
}

[[noreturn]] void crypto_failure(const char* what) {
  std::fprintf(stderr, "herald: %s failed\n", what);
  std::abort();
}

}  // namespace

std::string sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), nullptr,
                 sha256_md(), nullptr) != 1)
    crypto_failure("SHA-256");
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  const EVP_MAC_CTX* base = hmac_sha256_template();
  EVP_MAC_CTX* ctx = base ? EVP_MAC_CTX_dup(base) : nullptr;
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  size_t len = 0;
  // An empty key is valid HMAC input; OpenSSL wants a non-null pointer for it.
  static const unsigned char kNoKey = 0;
  const auto* k = key.empty() ? &kNoKey : reinterpret_cast<const unsigned char*>(key.data());
  bool ok = ctx && EVP_MAC_init(ctx, k, key.size(), nullptr) == 1 &&
            EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
            EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok) crypto_failure("HMAC-SHA256");
  out.resize(len);
  return out;
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(n)) != 1) {
    std::fputs("herald: CSPRNG failure\n", stderr);
    std::abort();
  }
  return out;
}

KeyedHash::KeyedHash() : KeyedHash(random_bytes(16)) {}

KeyedHash::KeyedHash(std::string_view key) : keyed_(nullptr) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
  keyed_ = mac ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);
  size_t size = 8;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                         OSSL_PARAM_construct_end()};
  if (key.size() != 16 || !keyed_ ||
      EVP_MAC_init(keyed_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1)
    crypto_failure("SipHash key setup");
}

KeyedHash::~KeyedHash() {
  EVP_MAC_CTX_free(keyed_);
}

uint64_t KeyedHash::operator()(std::string_view data) const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed_);
  unsigned char out[8];
  size_t len = 0;
  bool ok = ctx &&
            EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
            EVP_MAC_final(ctx, out, &len, sizeof out) == 1 && len == sizeof out;
  EVP_MAC_CTX_free(ctx);
  if (!ok) crypto_failure("SipHash");
  uint64_t value = 0;  // the reference output is little-endian
  for (int i = 7; i >= 0; --i) value = (value << 8) | out[i];
  return value;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace herald
