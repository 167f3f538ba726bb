#include "apns-sim/jwt_verifier.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/encoding.h"

namespace herald::apns_sim {
namespace {

constexpr size_t kP256CoordinateBytes = 32;

JwtResult invalid() {
  return {Verdict::error(403, "InvalidProviderToken"), 0};
}

EVP_PKEY* read_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  if (bio == nullptr) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  if (key == nullptr) {
    // Operators often hold only Apple's .p8 file; its public half is enough.
    BIO_reset(bio);
    key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  }
  BIO_free(bio);
  return key;
}

bool is_p256(EVP_PKEY* key) {
  char group[64] = {};
  size_t length = 0;
  if (!EVP_PKEY_is_a(key, "EC")) return false;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &length) != 1) return false;
  return std::string_view(group, length) == "prime256v1";
}

// "bearer <jwt>": the scheme is case-insensitive (RFC 7235), the token is not.
std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
      return std::nullopt;
    }
  }
  return authorization.substr(kScheme.size());
}

std::optional<nlohmann::json> decode_json_object(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  auto json = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

bool string_member_equals(const nlohmann::json& object, const char* name,
                          const std::string& expected) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() && it->get_ref<const std::string&>() == expected;
}

// JOSE carries ECDSA signatures as fixed-width R||S; OpenSSL verifies DER.
std::string raw_to_der(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, kP256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kP256CoordinateBytes, kP256CoordinateBytes, nullptr);
  std::string der;
  if (sig != nullptr && r != nullptr && s != nullptr && ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;  // owned by sig now
    unsigned char* out = nullptr;
    int length = i2d_ECDSA_SIG(sig, &out);
    if (length > 0) der.assign(reinterpret_cast<char*>(out), size_t(length));
    OPENSSL_free(out);
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return der;
}

}  // namespace

std::unique_ptr<JwtVerifier> JwtVerifier::create(const JwtConfig& config, std::string* error) {
  EVP_PKEY* key = read_key(config.key_pem);
  if (key == nullptr) {
    *error = "no PEM public or private key found";
    return nullptr;
  }
  if (!is_p256(key)) {
    EVP_PKEY_free(key);
    *error = "the key is not an EC P-256 key (APNs uses ES256)";
    return nullptr;
  }
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(key, config));
}

JwtVerifier::JwtVerifier(EVP_PKEY* key, JwtConfig config) : key_(key), config_(std::move(config)) {}

JwtVerifier::~JwtVerifier() {
  EVP_PKEY_free(key_);
}

bool JwtVerifier::signature_matches(std::string_view signed_part,
                                    std::string_view raw_signature) const {
  if (raw_signature.size() != 2 * kP256CoordinateBytes) return false;
  std::string der = raw_to_der(raw_signature);
  if (der.empty()) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                             reinterpret_cast<const unsigned char*>(signed_part.data()),
                             signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

JwtResult JwtVerifier::verify(std::string_view authorization, int64_t now_seconds) const {
  auto jwt = bearer_token(authorization);
  if (!jwt) return invalid();
  size_t first_dot = jwt->find('.');
  size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : jwt->find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      jwt->find('.', second_dot + 1) != std::string_view::npos) {
    return invalid();
  }
  auto header = decode_json_object(jwt->substr(0, first_dot));
  if (!header || !string_member_equals(*header, "alg", "ES256") ||
      !string_member_equals(*header, "kid", config_.key_id)) {
    return invalid();
  }
  auto signature = base64url_decode(jwt->substr(second_dot + 1));
  if (!signature || !signature_matches(jwt->substr(0, second_dot), *signature)) return invalid();

  auto claims = decode_json_object(jwt->substr(first_dot + 1, second_dot - first_dot - 1));
  if (!claims || !string_member_equals(*claims, "iss", config_.team_id)) return invalid();
  auto iat = claims->find("iat");
  if (iat == claims->end() || !iat->is_number_integer()) return invalid();
  int64_t issued = iat->get<int64_t>();
  if (issued > now_seconds + kFutureIatToleranceSeconds) return invalid();
  if (now_seconds - issued > kTokenLifetimeSeconds) {
    return {Verdict::error(403, "ExpiredProviderToken"), issued};
  }
  return {Verdict::success(), issued};
}

}  // namespace herald::apns_sim
