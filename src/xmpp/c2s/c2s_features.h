// The stream features a client stream offers (RFC 6120 4.3.2), built in one
// place for each stage of the negotiation:
//
//   before TLS          <starttls><required/></starttls>: nothing else, TLS
//                       comes first
//   TLS, no identity    <mechanisms/> (strongest first) and the channel
//                       binding types (XEP-0440); next here: SASL2's
//                       <authentication/> with its inline Bind2, FAST and
//                       stream management (XEP-0388, 0386, 0484), XEP-0474
//                       downgrade protection, XEP-0077 <register/>
//   authenticated       <bind/> and the RFC 3921 <session/> (optional, for
//                       old clients); next here: stream management
//                       (XEP-0198), CSI (XEP-0352), roster versioning
//
// A new feature is one line in its stage here, and one flag in C2sStage.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xml/element.h"
#include "xmpp/sasl/channel_binding.h"

namespace herald::xmpp {

inline constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view kSessionNs = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view kSaslChannelBindingNs = "urn:xmpp:sasl-cb:0";

struct C2sStage {
  bool tls = false;
  bool authenticated = false;
  // Before authentication: what SASL offers on this connection.
  std::vector<std::string> mechanisms;
  std::vector<sasl::ChannelBindingType> channel_bindings;
};

// <stream:features/> for the stage.
xml::Element c2s_features(const C2sStage& stage);

}  // namespace herald::xmpp
