// Verifies an APNs provider token (RFC 7519 JWT signed with ES256) the way
// Apple documents it: header {alg: ES256, kid}, claims {iss: team id, iat},
// signature = raw R||S over "header.claims" with the team's P-256 key.
// Stateless; the per-connection rules (token reuse, update rate) are in
// provider_auth.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "apns-sim/request.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace herald::apns_sim {

struct JwtConfig {
  std::string key_pem;  // P-256 public key (or the .p8 private key) in PEM
  std::string key_id;   // expected "kid"
  std::string team_id;  // expected "iss"
};

// Apple rejects tokens whose iat is more than an hour old.
inline constexpr int64_t kTokenLifetimeSeconds = 3600;
// Clock skew allowed for an iat in the future; beyond it the token is invalid.
inline constexpr int64_t kFutureIatToleranceSeconds = 300;

struct JwtResult {
  Verdict verdict;  // 200, 403 InvalidProviderToken or 403 ExpiredProviderToken
  int64_t iat = 0;  // set when the signature and claims check out
};

class JwtVerifier {
 public:
  // nullptr (and *error set) if the PEM holds no P-256 key.
  static std::unique_ptr<JwtVerifier> create(const JwtConfig& config, std::string* error);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // `authorization` is the whole header value, "bearer <jwt>".
  JwtResult verify(std::string_view authorization, int64_t now_seconds) const;

 private:
  JwtVerifier(EVP_PKEY* key, JwtConfig config);
  bool signature_matches(std::string_view signed_part, std::string_view raw_signature) const;

  EVP_PKEY* key_;
  JwtConfig config_;
};

}  // namespace herald::apns_sim
