// Wire-level pieces every XMPP stream shares (RFC 6120 section 4), client
// or server: namespaces, the stream header, stream errors, how a top-level
// element is written. The stream's default namespace ("jabber:client" or
// "jabber:server") is a parameter. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xml/element.h"

namespace herald::xmpp {

inline constexpr std::string_view kClientNs = "jabber:client";
inline constexpr std::string_view kServerNs = "jabber:server";
inline constexpr std::string_view kStreamNs = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kTlsNs = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view kStreamErrorNs = "urn:ietf:params:xml:ns:xmpp-streams";

// `<?xml version='1.0'?><stream:stream xmlns=NS xmlns:stream=... EXTRA
// version='1.0' from to [id]>`; empty values are left out, and the version
// too when answering a peer that sent none (RFC 6120 4.7.5; stanza_rules.h).
// `extra` is written as is (e.g. "xmlns:db='jabber:server:dialback'").
std::string stream_header(std::string_view default_ns, std::string_view from, std::string_view to,
                          std::string_view id, std::string_view extra = {},
                          bool with_version = true);

// `<stream:error><CONDITION/><text>TEXT</text>APP</stream:error>` (text and
// the application-specific condition element APP optional).
std::string stream_error(std::string_view condition, std::string_view text = {},
                         std::string_view app_specific = {});

inline constexpr std::string_view kStreamClose = "</stream:stream>";

// Serialises a top-level element inside a stream whose default namespace is
// `default_ns`. stream:-prefixed elements (<stream:features>) are written
// with their prefix. A stanza in either stanza namespace (jabber:client or
// jabber:server) is written in the stream's own: servers convert between
// the two when they route (RFC 6120 4.8.3), so a stanza that came from a
// client stream goes out over s2s as jabber:server and the other way round.
std::string to_wire(const xml::Element& element, std::string_view default_ns);

// Is this an <iq/>, <message/> or <presence/> in `default_ns`?
bool is_stanza(const xml::Element& element, std::string_view default_ns);

// The domain part of a JID given as text, lowercased; nullopt if malformed.
std::optional<std::string> jid_domain(std::string_view jid);

// A fresh stream id: 128 random bits, hex.
std::string new_stream_id();

}  // namespace herald::xmpp
