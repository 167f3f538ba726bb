// Builders for IQ replies (RFC 6120 8.2.3, 8.3). A reply goes back to the
// sender: 'from' is the JID the request was sent to, 'to' is the requester,
// the id is kept. Replies carry no copy of the request's payload: the peers
// Herald serves (Prosody, ejabberd) match a reply on id (and from/to) alone.
#pragma once

#include <string_view>

#include "xml/element.h"

namespace herald::xmpp {

inline constexpr std::string_view kStanzasNs = "urn:ietf:params:xml:ns:xmpp-stanzas";

// The error types of RFC 6120 8.3.2 that a service answers with.
enum class ErrorType { cancel, wait, modify, auth };
const char* to_string(ErrorType type);

// <iq type='result'/> to the request's sender, from its recipient, same id.
// The reply is in the request's namespace (jabber:server when it has none).
xml::Element make_result(const xml::Element& iq);

// <iq type='error'> with <error type='...'><condition xmlns=stanzas/>
// and, if `text` is not empty, <text xmlns=stanzas>text</text>.
// `condition` is a defined condition such as "item-not-found". Works for a
// <message/> or <presence/> too: the reply has the stanza's own name.
xml::Element make_error(const xml::Element& iq, ErrorType type, std::string_view condition,
                        std::string_view text = {});

}  // namespace herald::xmpp
