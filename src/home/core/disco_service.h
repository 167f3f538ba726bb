// XEP-0030 service discovery, answered by the server: disco#info and
// disco#items of each host (the server's identity and the features every
// registered service declared), and of an account's bare JID (identity
// account/registered and the account features).
//
// An account's disco is answered to the account's own resources only:
// anyone else gets service-unavailable, as for an account that does not
// exist, so disco does not tell strangers who has an account here. (The
// roster service may widen this to contacts with a presence subscription.)
#pragma once

#include <string>

#include "home/core/services.h"
#include "xmpp/stanza_channel.h"

namespace herald::home::core {

inline constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view kDiscoItemsNs = "http://jabber.org/protocol/disco#items";

class DiscoService {
 public:
  // Registers with `services`; `name` is the server identity's name.
  DiscoService(Services& services, xmpp::StanzaSender& out, std::string name = "Herald");

 private:
  void server_info(const Iq& iq);
  void account_info(const Iq& iq);
  void items(const Iq& iq, bool account);
  void reply_info(const Iq& iq, const std::vector<DiscoIdentity>& identities,
                  const std::vector<std::string>& features);

  Services& services_;
  xmpp::StanzaSender& out_;
};

}  // namespace herald::home::core
