// A Google service account as Firebase's console downloads it (JSON), and the
// RS256 assertion that trades it for an OAuth2 access token.
//
// Contract: parse_service_account() reads the fields FCM needs
// (`client_email`, `private_key` PEM, `token_uri`, `project_id`) and throws
// std::runtime_error naming the missing or malformed field, so a bad file fails
// at configuration time. The private key stays in memory only; nothing here
// logs. ServiceAccountSigner::assertion() builds the JWT of Google's
// "OAuth 2.0 for server to server applications" flow:
//   header {"alg":"RS256","typ":"JWT"[,"kid":private_key_id]}
//   claims {"iss":client_email,"scope":<scope>,"aud":token_uri,"iat":now,"exp":now+lifetime}
// with lifetime capped at one hour (Google refuses longer ones), signed with
// RSASSA-PKCS1-v1_5 over SHA-256. token_request_body() is the form body POSTed
// to token_uri; parse_token_response() reads Google's JSON answer.
#pragma once

#include <openssl/evp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace herald::push::fcm {

inline constexpr std::string_view kFcmScope = "https://www.googleapis.com/auth/firebase.messaging";
inline constexpr std::string_view kGoogleTokenUri = "https://oauth2.googleapis.com/token";

struct ServiceAccount {
  std::string client_email;
  std::string private_key_pem;
  std::string private_key_id;  // optional; sent as the JWT's kid
  std::string token_uri;       // defaults to kGoogleTokenUri when absent
  std::string project_id;
};

ServiceAccount parse_service_account(std::string_view json_text);
ServiceAccount load_service_account(const std::string& path);

class ServiceAccountSigner {
 public:
  using Clock = std::chrono::system_clock;
  static constexpr std::chrono::seconds kMaxLifetime{3600};

  // Throws std::runtime_error when the key is not an RSA private key.
  explicit ServiceAccountSigner(ServiceAccount account);
  ~ServiceAccountSigner();
  ServiceAccountSigner(const ServiceAccountSigner&) = delete;
  ServiceAccountSigner& operator=(const ServiceAccountSigner&) = delete;

  std::string assertion(Clock::time_point now, std::chrono::seconds lifetime = kMaxLifetime) const;
  const ServiceAccount& account() const { return account_; }

 private:
  ServiceAccount account_;
  EVP_PKEY* key_ = nullptr;
};

// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<jwt>
std::string token_request_body(std::string_view assertion);

struct AccessToken {
  std::string value;
  std::chrono::seconds expires_in{0};
};

// The token from a 200 answer `{"access_token":..,"expires_in":..,"token_type":"Bearer"}`;
// nullopt (with *error set) for anything else, including non-Bearer types.
std::optional<AccessToken> parse_token_response(int http_status, std::string_view body,
                                                std::string* error);

}  // namespace herald::push::fcm
