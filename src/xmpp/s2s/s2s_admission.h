// What an s2s stream does with a stanza from a peer domain it has
// authenticated, once its own address checks passed: RFC 6120's stanza
// rules (xmpp/stanza_rules.h), then the domain's request rate, then
// delivery to the host. Shared by inbound streams and by outbound streams
// the peer made bidirectional.
//
// An IQ without an id ends the stream with invalid-xml (the stream is the
// peer's own, so only its traffic is affected); a malformed IQ is answered
// bad-request; a request over the rate wait/resource-constraint.
#pragma once

#include <string>
#include <string_view>

#include "xml/element.h"
#include "xmpp/s2s/s2s_host.h"

namespace herald::xmpp {

class StreamConnection;

// `from`: the stanza's 'from' domain, already checked; `name`: the
// stream's name for logs. Returns false when the stream was ended.
bool admit_stanza(S2sHost& host, StreamConnection& stream, std::string_view name,
                  const std::string& from, xml::Element stanza);

}  // namespace herald::xmpp
