// Checks the RS256 JWT a client POSTs to fcm-sim's OAuth2 token endpoint, as
// Google's token endpoint would for the jwt-bearer grant: header alg RS256;
// signature by the service account's key; iss = its client_email; scope
// includes https://www.googleapis.com/auth/firebase.messaging; aud = the
// token_uri; iat not in the future (60 s skew allowed); exp after now and at
// most one hour after iat. verify() returns an empty string when the
// assertion is good, else the reason (Google's answer would be invalid_grant).
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace herald::fcm_sim {

struct ServiceAccountInfo {
  std::string client_email;
  std::string token_uri;
  std::string project_id;
  std::string key_pem;  // private key PEM (its public half verifies)
};

// From the service-account JSON; empty client_email when unusable (*error set).
ServiceAccountInfo parse_service_account_info(std::string_view json_text, std::string* error);

class AssertionVerifier {
 public:
  // nullptr (with *error) when the key is not an RSA key.
  static std::unique_ptr<AssertionVerifier> create(const ServiceAccountInfo& account,
                                                   std::string audience, std::string* error);
  ~AssertionVerifier();
  AssertionVerifier(const AssertionVerifier&) = delete;
  AssertionVerifier& operator=(const AssertionVerifier&) = delete;

  std::string verify(std::string_view jwt, int64_t now_s) const;

 private:
  AssertionVerifier() = default;
  EVP_PKEY* key_ = nullptr;
  std::string issuer_;
  std::string audience_;
};

}  // namespace herald::fcm_sim
