// XEP-0474 (SASL SCRAM Downgrade Protection, version 0.5): the server
// signs what it advertised by putting, into its SCRAM server-first-message,
// the attribute h= with the hash of
//   sorted mechanisms joined by 0x1E [ 0x1F sorted channel-binding types joined by 0x1E ]
// (sorting bytewise, "i;octet"; the second part only when XEP-0440 listed
// channel-binding types), hashed with the SCRAM mechanism's own hash, in
// base64. The client recomputes it from what it received: a difference
// means someone changed the lists on the way; the attribute itself is
// covered by the SCRAM proofs, so it cannot be changed unseen.
// (Versions up to 0.3 used d= and other delimiters; this implements 0.4+.)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "xmpp/sasl/credentials.h"

namespace herald::xmpp::sasl {

// What a stream advertised, as the client saw it or the server sent it.
struct AdvertisedMethods {
  std::vector<std::string> mechanisms;  // the SASL or SASL2 list the client chose from
  // The XEP-0440 list; nullopt when the stream had no <sasl-channel-binding/>.
  std::optional<std::vector<std::string>> channel_bindings;
};

// The value of h= (base64).
std::string downgrade_protection_hash(Hash hash, const AdvertisedMethods& advertised);

}  // namespace herald::xmpp::sasl
