// PLAIN (RFC 4616): "authzid NUL authcid NUL password", each part within an
// explicit limit. Parsing only: the password is checked with
// password_matches() (credentials.h) off the loop. The stream offers PLAIN
// only over TLS. For an unknown user, check against fake_credentials() so
// the answer takes as long as for a wrong password.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/sasl/failure.h"

namespace herald::xmpp::sasl {

constexpr size_t kMaxPlainAuthzidBytes = 3071;  // a JID
constexpr size_t kMaxPlainUsernameBytes = 1023;
constexpr size_t kMaxPlainPasswordBytes = 1023;

struct PlainMessage {
  std::string authzid;   // as sent; empty when absent
  std::string username;  // SASLprep'ed (query rules)
  std::string password;  // as sent (password_matches() prepares it)
};
// malformed-request for a wrong number of NULs, an empty user name or
// password, a part over its limit, text that is not UTF-8 or a user name
// SASLprep refuses.
std::optional<SaslFailure> parse_plain(std::string_view message, PlainMessage* out);

}  // namespace herald::xmpp::sasl
