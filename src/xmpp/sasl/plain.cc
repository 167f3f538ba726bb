#include "xmpp/sasl/plain.h"

#include "xmpp/sasl/saslprep.h"

namespace herald::xmpp::sasl {

std::optional<SaslFailure> parse_plain(std::string_view message, PlainMessage* out) {
  *out = PlainMessage();
  if (message.size() > kMaxPlainAuthzidBytes + kMaxPlainUsernameBytes + kMaxPlainPasswordBytes + 2)
    return malformed("message too long");
  size_t first = message.find('\0');
  size_t second = first == std::string_view::npos ? first : message.find('\0', first + 1);
  if (second == std::string_view::npos || message.find('\0', second + 1) != std::string_view::npos)
    return malformed("expected authzid NUL authcid NUL password");
  std::string_view authzid = message.substr(0, first);
  std::string_view authcid = message.substr(first + 1, second - first - 1);
  std::string_view password = message.substr(second + 1);
  if (authcid.empty()) return malformed("empty user name");
  if (password.empty()) return malformed("empty password");
  if (authzid.size() > kMaxPlainAuthzidBytes || authcid.size() > kMaxPlainUsernameBytes ||
      password.size() > kMaxPlainPasswordBytes)
    return malformed("part too long");
  if (!is_utf8(authzid) || !is_utf8(password)) return malformed("not UTF-8");
  auto username = saslprep(authcid);
  if (!username || username->empty()) return malformed("user name refused by SASLprep");
  out->authzid = std::string(authzid);
  out->username = std::move(*username);
  out->password = std::string(password);
  return std::nullopt;
}

}  // namespace herald::xmpp::sasl
