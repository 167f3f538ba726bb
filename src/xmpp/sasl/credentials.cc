#include "xmpp/sasl/credentials.h"

#include "base/crypto.h"
#include "xmpp/sasl/scram_crypto.h"

namespace herald::xmpp::sasl {

std::string_view hash_name(Hash h) {
  switch (h) {
    case Hash::sha1:
      return "SHA-1";
    case Hash::sha256:
      return "SHA-256";
    case Hash::sha512:
      return "SHA-512";
  }
  return "SHA-256";
}

std::optional<Hash> parse_hash_name(std::string_view name) {
  for (Hash h : {Hash::sha1, Hash::sha256, Hash::sha512})
    if (hash_name(h) == name) return h;
  return std::nullopt;
}

Result<ScramCredentials> derive(Hash hash, std::string_view password, uint32_t iterations,
                                std::string_view salt) {
  if (iterations == 0) return Invalid("iteration count 0");
  auto prepared = saslprep(password, true);
  if (!prepared || prepared->empty()) return Invalid("password refused by SASLprep");
  ScramCredentials c;
  c.hash = hash;
  c.salt = salt.empty() ? random_bytes(16) : std::string(salt);
  c.iterations = iterations;
  std::string salted = hi(hash, *prepared, c.salt, iterations);
  c.stored_key = digest(hash, hmac(hash, salted, "Client Key"));
  c.server_key = hmac(hash, salted, "Server Key");
  return c;
}

bool password_matches(const ScramCredentials& stored, std::string_view password) {
  if (stored.iterations == 0) return false;
  auto prepared = saslprep(password, false);
  if (!prepared || prepared->empty()) return false;
  std::string salted = hi(stored.hash, *prepared, stored.salt, stored.iterations);
  std::string stored_key = digest(stored.hash, hmac(stored.hash, salted, "Client Key"));
  return constant_time_equal(stored_key, stored.stored_key);
}

}  // namespace herald::xmpp::sasl
