// Wire-level pieces of an s2s stream (RFC 6120, XEP-0220): the dialback and
// bidi namespaces and the jabber:server forms of the shared stream pieces
// (xmpp/stream.h), for the inbound and outbound sides.
#pragma once

#include <string>
#include <string_view>

#include "xml/element.h"
#include "xmpp/stream.h"

namespace herald::xmpp::s2s {

using xmpp::jid_domain;
using xmpp::kSaslNs;
using xmpp::kServerNs;
using xmpp::kStreamClose;
using xmpp::kStreamErrorNs;
using xmpp::kStreamNs;
using xmpp::kTlsNs;
using xmpp::new_stream_id;
using xmpp::stream_error;

inline constexpr std::string_view kDialbackNs = "jabber:server:dialback";
inline constexpr std::string_view kDialbackFeatureNs = "urn:xmpp:features:dialback";
// XEP-0288 bidirectional s2s.
inline constexpr std::string_view kBidiFeatureNs = "urn:xmpp:features:bidi";
inline constexpr std::string_view kBidiNs = "urn:xmpp:bidi";

// `<?xml version='1.0'?><stream:stream ... version='1.0' from to [id]>`;
// empty values are left out, and the version too for a peer that sent none
// (RFC 6120 4.7.5; stanza_rules.h).
std::string stream_header(std::string_view from, std::string_view to, std::string_view id,
                          bool with_version = true);

inline std::string to_wire(const xml::Element& element) {
  return xmpp::to_wire(element, kServerNs);
}
inline bool is_stanza(const xml::Element& element) {
  return xmpp::is_stanza(element, kServerNs);
}

}  // namespace herald::xmpp::s2s
