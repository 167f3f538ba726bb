#include "turn/credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/encoding.h"

namespace herald::turn {
namespace {

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  HMAC(md, key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), reinterpret_cast<unsigned char*>(out.data()), &len);
  out.resize(len);
  return out;
}

}  // namespace

std::string hmac_sha1(std::string_view key, std::string_view data) {
  return hmac(EVP_sha1(), key, data);
}

std::string hmac_sha512(std::string_view key, std::string_view data) {
  return hmac(EVP_sha512(), key, data);
}

TurnCredentials make_credentials(std::string_view shared_secret, int64_t expires_at,
                                 std::string_view id) {
  TurnCredentials c;
  c.expires_at = expires_at;
  c.username = std::to_string(expires_at) + ":" + std::string(id);
  c.password = base64_encode(hmac_sha1(shared_secret, c.username));
  return c;
}

std::string challenge_response(std::string_view app_secret, uint64_t valid_until,
                               std::string_view challenge) {
  std::string data(8, '\0');
  for (int i = 0; i < 8; ++i) data[i] = char((valid_until >> (8 * i)) & 0xff);
  data.append(challenge);
  return hmac_sha512(app_secret, data);
}

}  // namespace herald::turn
