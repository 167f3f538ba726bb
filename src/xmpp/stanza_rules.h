// RFC 6120's rules for what a stream carries, checked by the transport
// before a stanza or a stream reaches a service: s2s streams and the
// component link now, the home server's client streams later. Pure
// functions, no I/O; the caller decides how to answer.
//
// check_stanza(), for IQs (message and presence pass):
//   - no 'id' (8.2.3): the IQ cannot be answered (a reply without an id is
//     useless), so it is not processed: unanswerable. On a peer's own
//     stream that ends the stream (invalid-xml); a link that relays for
//     many senders drops it instead.
//   - 'type' other than get, set, result, error (8.2.3): bad_request.
//   - get or set with no payload child or more than one (8.2.3): bad_request.
//   bad_request is answered <bad-request/> (type modify), which keeps the id.
// stream_version(), for a stream header (4.7.5): no 'version' means the
// peer speaks pre-1.0 XMPP ("0.9": no stream features, so no STARTTLS or
// SASL, and our answer carries no version either); a major version of 1
// or more is answered as 1.0 (the lower of the two); anything that is not
// "major.minor" in decimal digits is unsupported (unsupported-version).
#pragma once

#include <string_view>

#include "xml/element.h"

namespace herald::xmpp {

struct StanzaVerdict {
  enum class Kind { ok, unanswerable, bad_request };
  Kind kind = Kind::ok;
  std::string_view text;  // why, for an error's <text/> and the log (never user data)
  bool ok() const { return kind == Kind::ok; }
};

StanzaVerdict check_stanza(const xml::Element& stanza);

enum class StreamVersion { legacy, v1, unsupported };

StreamVersion stream_version(const xml::Element& header);

}  // namespace herald::xmpp
