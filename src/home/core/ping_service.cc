#include "home/core/ping_service.h"

#include "xmpp/iq.h"

namespace herald::home::core {

PingService::PingService(Services& services, xmpp::StanzaSender& out) : out_(out) {
  services.add_server_feature(kPingNs);
  services.add_server_iq(kPingNs, [this](Iq iq) { answer(iq, false); });
  services.add_account_iq(kPingNs, [this](Iq iq) { answer(iq, true); });
}

void PingService::answer(const Iq& iq, bool account) {
  if (account && iq.from.bare() != iq.to)
    return out_.send(xmpp::make_error(iq.stanza, xmpp::ErrorType::cancel, "service-unavailable"));
  if (!iq.is_get())
    return out_.send(xmpp::make_error(iq.stanza, xmpp::ErrorType::cancel, "bad-request"));
  out_.send(xmpp::make_result(iq.stanza));
}

}  // namespace herald::home::core
