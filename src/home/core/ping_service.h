// XEP-0199 ping of the server: an IQ get with <ping xmlns='urn:xmpp:ping'/>
// to a host (or from a client to its own bare JID) is answered with an
// empty result. Pings of another account's bare JID get
// service-unavailable (client pings go to a full JID, which the hub
// delivers to that client).
#pragma once

#include "home/core/services.h"
#include "xmpp/stanza_channel.h"

namespace herald::home::core {

inline constexpr std::string_view kPingNs = "urn:xmpp:ping";

class PingService {
 public:
  PingService(Services& services, xmpp::StanzaSender& out);

 private:
  void answer(const Iq& iq, bool account);
  xmpp::StanzaSender& out_;
};

}  // namespace herald::home::core
