#include "fcm-sim/assertion_verifier.h"

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "base/encoding.h"

namespace herald::fcm_sim {
namespace {

constexpr std::string_view kScope = "https://www.googleapis.com/auth/firebase.messaging";
constexpr int64_t kSkew = 60;

std::string field(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

ServiceAccountInfo parse_service_account_info(std::string_view json_text, std::string* error) {
  ServiceAccountInfo info;
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object()) {
    *error = "service account: not a JSON object";
    return info;
  }
  info.key_pem = field(j, "private_key");
  info.token_uri = field(j, "token_uri");
  if (info.token_uri.empty()) info.token_uri = "https://oauth2.googleapis.com/token";
  info.project_id = field(j, "project_id");
  info.client_email = field(j, "client_email");
  if (info.client_email.empty() || info.key_pem.empty()) {
    *error = "service account: client_email and private_key are required";
    info.client_email.clear();
  }
  return info;
}

std::unique_ptr<AssertionVerifier> AssertionVerifier::create(const ServiceAccountInfo& account,
                                                             std::string audience,
                                                             std::string* error) {
  BIO* bio = BIO_new_mem_buf(account.key_pem.data(), static_cast<int>(account.key_pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr || !EVP_PKEY_is_a(key, "RSA")) {
    EVP_PKEY_free(key);
    *error = "service account: private_key is not an RSA PEM key";
    return nullptr;
  }
  std::unique_ptr<AssertionVerifier> v(new AssertionVerifier());
  v->key_ = key;
  v->issuer_ = account.client_email;
  v->audience_ = std::move(audience);
  return v;
}

AssertionVerifier::~AssertionVerifier() {
  EVP_PKEY_free(key_);
}

std::string AssertionVerifier::verify(std::string_view jwt, int64_t now_s) const {
  size_t dot1 = jwt.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos) {
    return "not a JWS compact serialization";
  }
  auto header_text = base64url_decode(jwt.substr(0, dot1));
  auto claims_text = base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(jwt.substr(dot2 + 1));
  if (!header_text || !claims_text || !signature) return "bad base64url";
  nlohmann::json header = nlohmann::json::parse(*header_text, nullptr, false);
  nlohmann::json claims = nlohmann::json::parse(*claims_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) return "header or claims not JSON objects";
  if (field(header, "alg") != "RS256") return "alg is not RS256";

  std::string_view input = jwt.substr(0, dot2);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature->data()),
                             signature->size(),
                             reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return "bad signature";

  if (field(claims, "iss") != issuer_) return "iss is not the service account's client_email";
  std::istringstream scopes(field(claims, "scope"));
  bool scoped = false;
  for (std::string s; scopes >> s;) scoped = scoped || s == kScope;
  if (!scoped) return "scope lacks firebase.messaging";
  if (field(claims, "aud") != audience_) return "aud is not the token endpoint";
  auto iat = claims.find("iat");
  auto exp = claims.find("exp");
  if (iat == claims.end() || exp == claims.end() || !iat->is_number_integer() ||
      !exp->is_number_integer()) {
    return "iat and exp must be integers";
  }
  int64_t issued = iat->get<int64_t>();
  int64_t expires = exp->get<int64_t>();
  if (issued > now_s + kSkew) return "iat is in the future";
  if (expires <= now_s) return "assertion expired";
  if (expires - issued > 3600) return "exp is more than one hour after iat";
  return {};
}

}  // namespace herald::fcm_sim
