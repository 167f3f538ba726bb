// The primitives of SCRAM (RFC 5802 section 2.2) for one hash function:
// H, HMAC and Hi (PBKDF2), and SASLprep (RFC 4013). Internal to xmpp/sasl.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/sasl/credentials.h"

namespace herald::xmpp::sasl {

std::string digest(Hash hash, std::string_view data);
std::string hmac(Hash hash, std::string_view key, std::string_view data);
std::string hi(Hash hash, std::string_view password, std::string_view salt, uint32_t iterations);
size_t digest_size(Hash hash);

// SASLprep via libidn. `stored`: the rules for stored strings (unassigned
// code points refused), else those for queries.
std::optional<std::string> saslprep(std::string_view text, bool stored);

}  // namespace herald::xmpp::sasl
