#include "xmpp/s2s/dialback.h"

#include "base/crypto.h"
#include "base/encoding.h"

namespace herald::xmpp {

std::string dialback_key(std::string_view secret, std::string_view receiving_domain,
                         std::string_view originating_domain, std::string_view stream_id) {
  std::string data;
  data.append(receiving_domain)
      .append(" ")
      .append(originating_domain)
      .append(" ")
      .append(stream_id);
  return hex_encode(hmac_sha256(hex_encode(sha256(secret)), data));
}

bool dialback_key_matches(std::string_view secret, std::string_view receiving_domain,
                          std::string_view originating_domain, std::string_view stream_id,
                          std::string_view key) {
  return constant_time_equal(dialback_key(secret, receiving_domain, originating_domain, stream_id),
                             key);
}

}  // namespace herald::xmpp
