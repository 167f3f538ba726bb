#include "push/fcm/service_account.h"

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "base/encoding.h"

namespace herald::push::fcm {
namespace {

std::string required_string(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
    throw std::runtime_error(std::string("service account: missing or empty \"") + field + "\"");
  }
  return it->get<std::string>();
}

std::string optional_string(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Form encoding of the characters a JWT can contain besides unreserved ones.
std::string form_escape(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

ServiceAccount parse_service_account(std::string_view json_text) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw std::runtime_error("service account: not a JSON object");
  std::string type = optional_string(j, "type");
  if (!type.empty() && type != "service_account") {
    throw std::runtime_error("service account: \"type\" is \"" + type +
                             "\", expected \"service_account\"");
  }
  ServiceAccount a;
  a.client_email = required_string(j, "client_email");
  a.private_key_pem = required_string(j, "private_key");
  a.private_key_id = optional_string(j, "private_key_id");
  a.token_uri = optional_string(j, "token_uri");
  if (a.token_uri.empty()) a.token_uri = std::string(kGoogleTokenUri);
  a.project_id = optional_string(j, "project_id");
  return a;
}

ServiceAccount load_service_account(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("service account: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_service_account(text.str());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) + ": " + path);
  }
}

ServiceAccountSigner::ServiceAccountSigner(ServiceAccount account) : account_(std::move(account)) {
  const std::string& pem = account_.private_key_pem;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) throw std::runtime_error("service account: out of memory");
  key_ = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key_ == nullptr) throw std::runtime_error("service account: private_key is not a PEM key");
  if (!EVP_PKEY_is_a(key_, "RSA")) {
    EVP_PKEY_free(key_);
    throw std::runtime_error("service account: private_key is not an RSA key (RS256 needs one)");
  }
}

ServiceAccountSigner::~ServiceAccountSigner() {
  EVP_PKEY_free(key_);
}

std::string ServiceAccountSigner::assertion(Clock::time_point now,
                                            std::chrono::seconds lifetime) const {
  lifetime = std::clamp<std::chrono::seconds>(lifetime, std::chrono::seconds(60), kMaxLifetime);
  int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!account_.private_key_id.empty()) header["kid"] = account_.private_key_id;
  nlohmann::json claims = {{"iss", account_.client_email},
                           {"scope", kFcmScope},
                           {"aud", account_.token_uri},
                           {"iat", iat},
                           {"exp", iat + lifetime.count()}};
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());

  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t sig_len = 0;
  std::string sig;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
            EVP_DigestSign(ctx, nullptr, &sig_len, data, input.size()) == 1;
  if (ok) {
    sig.resize(sig_len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &sig_len, data,
                        input.size()) == 1;
    sig.resize(sig_len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("service account: RS256 signing failed");
  return input + "." + base64url_encode(sig);
}

std::string token_request_body(std::string_view assertion) {
  return "grant_type=" + form_escape("urn:ietf:params:oauth:grant-type:jwt-bearer") +
         "&assertion=" + form_escape(assertion);
}

std::optional<AccessToken> parse_token_response(int http_status, std::string_view body,
                                                std::string* error) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (http_status != 200) {
    // Google answers e.g. 400 {"error":"invalid_grant","error_description":"..."}.
    std::string code = j.is_object() ? optional_string(j, "error") : std::string();
    *error = "token endpoint status " + std::to_string(http_status) +
             (code.empty() ? std::string() : " " + code);
    return std::nullopt;
  }
  if (!j.is_object()) {
    *error = "token endpoint: answer is not JSON";
    return std::nullopt;
  }
  AccessToken token;
  token.value = optional_string(j, "access_token");
  std::string type = optional_string(j, "token_type");
  auto expires = j.find("expires_in");
  if (token.value.empty() || expires == j.end() || !expires->is_number_integer() ||
      expires->get<int64_t>() <= 0) {
    *error = "token endpoint: answer lacks access_token or expires_in";
    return std::nullopt;
  }
  if (!type.empty() && type != "Bearer" && type != "bearer") {
    *error = "token endpoint: token_type is not Bearer";
    return std::nullopt;
  }
  token.expires_in = std::chrono::seconds(expires->get<int64_t>());
  return token;
}

}  // namespace herald::push::fcm
