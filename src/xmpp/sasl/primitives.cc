#include "xmpp/sasl/primitives.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace herald::xmpp::sasl {
namespace {

[[noreturn]] void crypto_failure(const char* what) {
  std::fprintf(stderr, "herald: %s failed\n", what);
  std::abort();
}

const char* openssl_name(Hash h) {
  switch (h) {
    case Hash::sha1:
      return "SHA1";
    case Hash::sha256:
      return "SHA256";
    case Hash::sha512:
      return "SHA512";
  }
  return "SHA256";
}

size_t index(Hash h) { return static_cast<size_t>(h); }

// Fetched once: a lookup by name costs about as much as hashing a short
// message, and every SCRAM step hashes several.
const EVP_MD* md(Hash h) {
  static const std::array<EVP_MD*, 3> mds = {EVP_MD_fetch(nullptr, "SHA1", nullptr),
                                             EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                             EVP_MD_fetch(nullptr, "SHA512", nullptr)};
  const EVP_MD* m = mds[index(h)];
  if (!m) crypto_failure("fetching a digest");
  return m;
}

// An HMAC context per hash with its digest set; each call keys a copy.
const EVP_MAC_CTX* hmac_template(Hash h) {
  static const std::array<EVP_MAC_CTX*, 3> templates = [] {
    std::array<EVP_MAC_CTX*, 3> out{};
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    for (Hash each : {Hash::sha1, Hash::sha256, Hash::sha512}) {
      EVP_MAC_CTX* c = mac ? EVP_MAC_CTX_new(mac) : nullptr;
      std::string name = openssl_name(each);
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name.data(), 0),
          OSSL_PARAM_construct_end()};
      if (c && EVP_MAC_CTX_set_params(c, params) != 1) {
        EVP_MAC_CTX_free(c);
        c = nullptr;
      }
      out[index(each)] = c;
    }
    EVP_MAC_free(mac);  // each context keeps its own reference
    return out;
  }();
  const EVP_MAC_CTX* t = templates[index(h)];
  if (!t) crypto_failure("setting up HMAC");
  return t;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

size_t digest_size(Hash h) {
  switch (h) {
    case Hash::sha1:
      return 20;
    case Hash::sha256:
      return 32;
    case Hash::sha512:
      return 64;
  }
  return 32;
}

std::string digest(Hash h, std::string_view data) {
  std::string out(digest_size(h), '\0');
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), nullptr,
                 md(h), nullptr) != 1)
    crypto_failure("a digest");
  return out;
}

std::string hmac(Hash h, std::string_view key, std::string_view data) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(hmac_template(h));
  std::string out(digest_size(h), '\0');
  size_t n = 0;
  // A zero-length key must still be a key: OpenSSL takes a null pointer for
  // "keep the old one".
  static const unsigned char kNoKey = 0;
  bool ok = ctx && EVP_MAC_init(ctx, key.empty() ? &kNoKey : bytes(key), key.size(), nullptr) == 1 &&
            EVP_MAC_update(ctx, bytes(data), data.size()) == 1 &&
            EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &n, out.size()) == 1 &&
            n == out.size();
  EVP_MAC_CTX_free(ctx);
  if (!ok) crypto_failure("HMAC");
  return out;
}

std::string pbkdf2(Hash h, std::string_view password, std::string_view salt, uint32_t iterations) {
  std::string out(digest_size(h), '\0');
  if (iterations == 0 || iterations > INT_MAX || password.size() > INT_MAX || salt.size() > INT_MAX ||
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md(h),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1)
    crypto_failure("PBKDF2");
  return out;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a);
  for (size_t i = 0; i < out.size() && i < b.size(); ++i) out[i] = static_cast<char>(out[i] ^ b[i]);
  return out;
}

ScramKeys scram_keys(Hash h, std::string_view salted_password) {
  ScramKeys k;
  k.client_key = hmac(h, salted_password, "Client Key");
  k.stored_key = digest(h, k.client_key);
  k.server_key = hmac(h, salted_password, "Server Key");
  return k;
}

}  // namespace herald::xmpp::sasl
