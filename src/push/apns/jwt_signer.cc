#include "push/apns/jwt_signer.h"

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "base/encoding.h"

namespace herald::push::apns {
namespace {

EVP_PKEY* load_p256_key(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) throw std::runtime_error("APNs key: out of memory");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) {
    throw std::runtime_error("APNs key: not a PEM private key (expected a .p8 file)");
  }
  char group[64] = {};
  size_t group_len = 0;
  bool p256 = EVP_PKEY_is_a(key, "EC") &&
              EVP_PKEY_get_group_name(key, group, sizeof(group), &group_len) == 1 &&
              (std::string_view(group) == "prime256v1" || std::string_view(group) == "P-256");
  if (!p256) {
    EVP_PKEY_free(key);
    throw std::runtime_error("APNs key: not an EC P-256 key (ES256 needs one)");
  }
  return key;
}

}  // namespace

JwtSigner::JwtSigner(std::string_view pem, std::string key_id, std::string team_id,
                     std::chrono::seconds lifetime)
    : key_(load_p256_key(pem)),
      key_id_(std::move(key_id)),
      team_id_(std::move(team_id)),
      lifetime_(std::clamp<std::chrono::seconds>(lifetime, kMinLifetime, kMaxLifetime)) {
  if (key_id_.empty() || team_id_.empty()) {
    EVP_PKEY_free(key_);
    throw std::runtime_error("APNs key: key id and team id must not be empty");
  }
}

std::shared_ptr<JwtSigner> JwtSigner::from_file(const std::string& p8_path, std::string key_id,
                                                std::string team_id,
                                                std::chrono::seconds lifetime) {
  std::ifstream in(p8_path, std::ios::binary);
  if (!in) throw std::runtime_error("APNs key: cannot read " + p8_path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return std::make_shared<JwtSigner>(text.str(), std::move(key_id), std::move(team_id), lifetime);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + ": " + p8_path);
  }
}

JwtSigner::~JwtSigner() {
  EVP_PKEY_free(key_);
}

const std::string& JwtSigner::current(Clock::time_point now) {
  // A clock that jumped backwards also gets a fresh token: Apple rejects an
  // `iat` in the future as much as a stale one.
  if (!token_.empty() && now >= issued_ && now - issued_ < lifetime_) return token_;
  int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json header = {{"alg", "ES256"}, {"kid", key_id_}};
  nlohmann::json claims = {{"iss", team_id_}, {"iat", iat}};
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  token_ = input + "." + base64url_encode(sign(input));
  issued_ = now;
  return token_;
}

void JwtSigner::invalidate(std::string_view refused) {
  if (refused.empty() || refused == token_) token_.clear();
}

// JOSE wants the raw 32-byte R and S concatenated; OpenSSL produces DER.
std::string JwtSigner::sign(std::string_view signing_input) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t der_len = 0;
  std::string der;
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
            EVP_DigestSign(ctx, nullptr, &der_len,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    der.resize(der_len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &der_len,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    der.resize(der_len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("APNs key: ES256 signing failed");

  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) throw std::runtime_error("APNs key: malformed ECDSA signature");
  std::string raw(64, '\0');
  ok =
      BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32) == 32 &&
      BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32) ==
          32;
  ECDSA_SIG_free(sig);
  if (!ok) throw std::runtime_error("APNs key: ECDSA signature does not fit P-256");
  return raw;
}

}  // namespace herald::push::apns
