// SASLprep (RFC 4013), the stringprep profile for user names and passwords,
// through libidn's stringprep_profile(). Printable ASCII is returned as it
// is without calling libidn (the profile maps and prohibits none of it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald::xmpp::sasl {

// nullopt when `in` is not UTF-8, holds a NUL or a prohibited character, or
// breaks the bidirectional rules. `stored`: the string is about to be stored
// (a new password), so unassigned code points are refused too (RFC 3454
// section 7); lookups and logins use the query rules. The result may be
// empty (a string of characters mapped to nothing): callers refuse that.
std::optional<std::string> saslprep(std::string_view in, bool stored = false);

// Whether `in` is well-formed UTF-8 (libidn's strict decoder: no overlong
// forms, surrogates or code points above U+10FFFF).
bool is_utf8(std::string_view in);

}  // namespace herald::xmpp::sasl
