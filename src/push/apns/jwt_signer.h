// ES256 provider tokens for APNs token-based authentication.
//
// Contract: a JwtSigner holds one P-256 private key (an Apple .p8 file, PEM
// PKCS#8), the key id and the team id. current(now) returns a JWT
// `{"alg":"ES256","kid":<key id>}.{"iss":<team id>,"iat":<now>}` and reuses it
// for `lifetime` (clamped to 20..60 min): Apple refuses tokens older than an
// hour (403 ExpiredProviderToken) and answers 429 TooManyProviderTokenUpdates
// when a provider mints them too often. invalidate() makes the next current()
// mint a new token; callers pass the token that was refused, so that a burst of
// 403s on parallel streams causes only one refresh. Construction fails with
// std::runtime_error (missing file, not an EC P-256 key) so that a bad key is
// reported at configuration time. Not thread-safe: owned by one event loop.
#pragma once

#include <openssl/evp.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace herald::push::apns {

class JwtSigner {
 public:
  using Clock = std::chrono::system_clock;
  static constexpr std::chrono::minutes kDefaultLifetime{50};
  static constexpr std::chrono::minutes kMinLifetime{20};
  static constexpr std::chrono::minutes kMaxLifetime{60};

  // `pem` is the text of the .p8 file.
  JwtSigner(std::string_view pem, std::string key_id, std::string team_id,
            std::chrono::seconds lifetime = kDefaultLifetime);
  static std::shared_ptr<JwtSigner> from_file(const std::string& p8_path, std::string key_id,
                                              std::string team_id,
                                              std::chrono::seconds lifetime = kDefaultLifetime);
  ~JwtSigner();
  JwtSigner(const JwtSigner&) = delete;
  JwtSigner& operator=(const JwtSigner&) = delete;

  // The cached token while it is younger than the lifetime, else a new one.
  const std::string& current(Clock::time_point now);
  // Forces a new token on the next current(), unless `refused` is given and is
  // no longer the cached token (someone already refreshed it).
  void invalidate(std::string_view refused = {});

  std::chrono::seconds lifetime() const { return lifetime_; }
  const std::string& key_id() const { return key_id_; }

 private:
  std::string sign(std::string_view signing_input) const;

  EVP_PKEY* key_ = nullptr;
  std::string key_id_;
  std::string team_id_;
  std::chrono::seconds lifetime_;
  std::string token_;
  Clock::time_point issued_{};
};

}  // namespace herald::push::apns
