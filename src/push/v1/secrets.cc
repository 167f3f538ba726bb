#include "push/v1/secrets.h"

#include "base/crypto.h"
#include "base/encoding.h"

namespace herald::push::v1 {

std::string new_secret() {
  return base64url_encode(random_bytes(32));
}

std::string hash_secret(std::string_view secret) {
  return sha256(secret);
}

bool secret_matches(std::string_view secret, std::string_view stored_hash) {
  return constant_time_equal(sha256(secret), stored_hash);
}

std::string new_node_id() {
  std::string hex = hex_encode(random_bytes(16));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace herald::push::v1
