#include "xmpp/sasl/credentials.h"

#include "base/crypto.h"
#include "xmpp/sasl/primitives.h"
#include "xmpp/sasl/saslprep.h"

namespace herald::xmpp::sasl {
namespace {

constexpr size_t kSaltBytes = 16;

bool well_formed(const ScramCredentials& c) {
  return c.iterations >= 1 && c.iterations <= kMaxIterations && !c.salt.empty() &&
         c.stored_key.size() == digest_size(c.hash) && c.server_key.size() == digest_size(c.hash);
}

}  // namespace

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
    if (name == hash_name(h)) return h;
  return std::nullopt;
}

Result<ScramCredentials> derive(Hash hash, std::string_view password, uint32_t iterations,
                                std::string_view salt) {
  if (iterations < kMinIterations || iterations > kMaxIterations)
    return Invalid("iteration count out of range");
  auto prepared = saslprep(password, /*stored=*/true);
  if (!prepared) return Invalid("password refused by SASLprep");
  if (prepared->empty()) return Invalid("password empty after SASLprep");
  ScramCredentials c;
  c.hash = hash;
  c.salt = salt.empty() ? random_bytes(kSaltBytes) : std::string(salt);
  c.iterations = iterations;
  ScramKeys keys = scram_keys(hash, pbkdf2(hash, *prepared, c.salt, iterations));
  c.stored_key = std::move(keys.stored_key);
  c.server_key = std::move(keys.server_key);
  return c;
}

bool password_matches(const ScramCredentials& stored, std::string_view password) {
  if (!well_formed(stored)) return false;
  auto prepared = saslprep(password);
  if (!prepared || prepared->empty()) return false;
  ScramKeys keys = scram_keys(stored.hash, pbkdf2(stored.hash, *prepared, stored.salt,
                                                  stored.iterations));
  return constant_time_equal(keys.stored_key, stored.stored_key);
}

ScramCredentials fake_credentials(Hash hash, std::string_view secret, std::string_view username,
                                  uint32_t iterations) {
  ScramCredentials c;
  c.hash = hash;
  std::string label = "herald fake SCRAM salt";
  label.push_back('\0');
  label += hash_name(hash);
  label.push_back('\0');
  label += username;
  c.salt = hmac_sha256(secret, label).substr(0, kSaltBytes);
  c.iterations = iterations;
  c.stored_key = random_bytes(digest_size(hash));
  c.server_key = random_bytes(digest_size(hash));
  return c;
}

}  // namespace herald::xmpp::sasl
