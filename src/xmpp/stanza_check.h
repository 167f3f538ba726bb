// The rules of RFC 6120 section 8 that every stanza must follow, whichever
// stream brought it (client or server): checked once where it enters, so
// the services behind never see a malformed one.
//
//   'to', when present, is a valid JID                  jid-malformed (modify)
//   an <iq/> has an 'id' (8.2.3)                        bad-request (modify)
//   an <iq/>'s type is get, set, result or error        bad-request (modify)
//   get and set carry exactly one child (the payload)   bad-request (modify)
//   result carries at most one, error an <error/>       bad-request (modify)
//
// A fault is answered with make_error() (iq.h) unless the stanza is itself
// an error or a result (RFC 6120 8.3.1: never answer an error; a broken
// response has no requester waiting): answerable() tells.
#pragma once

#include <optional>
#include <string_view>

#include "xml/element.h"
#include "xmpp/iq.h"
#include "xmpp/jid.h"

namespace herald::xmpp {

struct StanzaFault {
  ErrorType type;
  std::string_view condition;
  std::string_view text;  // for the sender; never holds data from the stanza
};

// nullopt when the stanza follows the rules; *to (if given) then holds the
// parsed 'to' (nullopt when absent).
std::optional<StanzaFault> check_stanza(const xml::Element& stanza,
                                        std::optional<Jid>* to = nullptr);

// May a fault in this stanza be answered with an error stanza?
bool answerable(const xml::Element& stanza);

}  // namespace herald::xmpp
