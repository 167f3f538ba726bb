// Why a SASL exchange failed, as the stream should tell the client.
#pragma once

#include <string>

namespace herald::xmpp::sasl {

struct SaslFailure {
  std::string condition;  // RFC 6120 6.5 element name: malformed-request, not-authorized, ...
  std::string text;       // for the client and debug logs; never user data
};

inline SaslFailure malformed(std::string text) { return {"malformed-request", std::move(text)}; }
inline SaslFailure not_authorized(std::string text) { return {"not-authorized", std::move(text)}; }

}  // namespace herald::xmpp::sasl
