// Wire-level pieces of an s2s stream (RFC 6120, XEP-0220): namespaces, the
// stream header, stream errors and feature elements. Pure functions, shared
// by the inbound and outbound sides.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xml/element.h"

namespace herald::xmpp::s2s {

inline constexpr std::string_view kServerNs = "jabber:server";
inline constexpr std::string_view kStreamNs = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kDialbackNs = "jabber:server:dialback";
inline constexpr std::string_view kTlsNs = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view kStreamErrorNs = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kDialbackFeatureNs = "urn:xmpp:features:dialback";
// XEP-0288 bidirectional s2s.
inline constexpr std::string_view kBidiFeatureNs = "urn:xmpp:features:bidi";
inline constexpr std::string_view kBidiNs = "urn:xmpp:bidi";

// `<?xml version='1.0'?><stream:stream ... version='1.0' from to [id]>`;
// empty values are left out, and the version too for a peer that sent none
// (RFC 6120 4.7.5; stanza_rules.h).
std::string stream_header(std::string_view from, std::string_view to, std::string_view id,
                          bool with_version = true);

// `<stream:error><CONDITION/><text>TEXT</text>APP</stream:error>` (text and
// the application-specific condition element APP optional).
std::string stream_error(std::string_view condition, std::string_view text = {},
                         std::string_view app_specific = {});

inline constexpr std::string_view kStreamClose = "</stream:stream>";

// Serialises an element inside a jabber:server stream (stream:-prefixed
// elements such as <stream:features> written with their prefix).
std::string to_wire(const xml::Element& element);

// The domain part of a JID given as text, lowercased; nullopt if malformed.
std::optional<std::string> jid_domain(std::string_view jid);

// A fresh stream id: 128 random bits, hex.
std::string new_stream_id();

bool is_stanza(const xml::Element& element);

}  // namespace herald::xmpp::s2s
