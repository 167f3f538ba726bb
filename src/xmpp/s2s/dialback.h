// XEP-0220 dialback keys, generated as XEP-0185 recommends:
//   hex(HMAC-SHA256(key = hex(SHA256(secret)),
//                   receiving + " " + originating + " " + stream_id))
// Every node that knows the secret computes the same key, so a db:verify may
// be answered by any node of the domain.
#pragma once

#include <string>
#include <string_view>

namespace herald::xmpp {

std::string dialback_key(std::string_view secret, std::string_view receiving_domain,
                         std::string_view originating_domain, std::string_view stream_id);

// Constant-time comparison of a received key with the one we would make.
bool dialback_key_matches(std::string_view secret, std::string_view receiving_domain,
                          std::string_view originating_domain, std::string_view stream_id,
                          std::string_view key);

}  // namespace herald::xmpp
