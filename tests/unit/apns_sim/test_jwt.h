// Test helpers that make what a provider makes: a P-256 key pair and ES256
// JWTs (raw R||S signatures), written here independently of the verifier.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <string>

#include "base/encoding.h"

namespace herald::apns_sim::testing {

class TestKey {
 public:
  TestKey() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {}
  ~TestKey() { EVP_PKEY_free(key_); }
  TestKey(const TestKey&) = delete;
  TestKey& operator=(const TestKey&) = delete;

  EVP_PKEY* get() const { return key_; }

  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key_);
    return drain(bio);
  }
  std::string private_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key_, nullptr, nullptr, 0, nullptr, nullptr);
    return drain(bio);
  }

  // ES256 over "header.claims", as JOSE wants it: 32-byte R then 32-byte S.
  std::string sign_raw(const std::string& input) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t length = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
    EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string der(length, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &length,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, long(length));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
  }

  std::string jwt(const std::string& header_json, const std::string& claims_json) const {
    std::string input = base64url_encode(header_json) + "." + base64url_encode(claims_json);
    return input + "." + base64url_encode(sign_raw(input));
  }

  // A provider token as APNs expects it, "bearer " included.
  std::string bearer(const std::string& kid, const std::string& iss, int64_t iat) const {
    return "bearer " + jwt(R"({"alg":"ES256","kid":")" + kid + R"("})",
                           R"({"iss":")" + iss + R"(","iat":)" + std::to_string(iat) + "}");
  }

 private:
  static std::string drain(BIO* bio) {
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    std::string out(data, size_t(length));
    BIO_free(bio);
    return out;
  }

  EVP_PKEY* key_;
};

}  // namespace herald::apns_sim::testing
