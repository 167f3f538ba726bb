// The seam between the XMPP transport (s2s streams, later component mode)
// and the services behind a domain (the push app server). The transport
// delivers stanzas addressed to a served domain to a StanzaHandler, and
// services answer through a StanzaSender; neither knows how the other works.
#pragma once

#include "xml/element.h"

namespace herald::xmpp {

class StanzaSender {
 public:
  virtual ~StanzaSender() = default;
  // Routes a stanza by the domain of its 'to' attribute. The stanza's 'from'
  // must be one of our served domains (or a JID at one). Never blocks: the
  // transport queues while it connects and drops (logging why) on failure.
  virtual void send(xml::Element stanza) = 0;
};

class StanzaHandler {
 public:
  virtual ~StanzaHandler() = default;
  // Called for each stanza (iq, message, presence in jabber:server) whose
  // 'to' domain we serve, received on a stream authenticated for the domain
  // of its 'from' (the transport has already checked that).
  virtual void handle(xml::Element stanza) = 0;
};

}  // namespace herald::xmpp
