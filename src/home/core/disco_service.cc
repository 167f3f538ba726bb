#include "home/core/disco_service.h"

#include "xmpp/iq.h"

namespace herald::home::core {
namespace {

bool from_own_account(const Iq& iq) {
  return iq.from.bare() == iq.to;
}

}  // namespace

DiscoService::DiscoService(Services& services, xmpp::StanzaSender& out, std::string name)
    : services_(services), out_(out) {
  services.add_server_identity({"server", "im", std::move(name)});
  for (auto ns : {kDiscoInfoNs, kDiscoItemsNs}) {
    services.add_server_feature(ns);
    services.add_account_feature(ns);
  }
  services.add_server_iq(kDiscoInfoNs, [this](Iq iq) { server_info(iq); });
  services.add_server_iq(kDiscoItemsNs, [this](Iq iq) { items(iq, false); });
  services.add_account_iq(kDiscoInfoNs, [this](Iq iq) { account_info(iq); });
  services.add_account_iq(kDiscoItemsNs, [this](Iq iq) { items(iq, true); });
}

void DiscoService::reply_info(const Iq& iq, const std::vector<DiscoIdentity>& identities,
                              const std::vector<std::string>& features) {
  if (!iq.is_get()) return out_.send(xmpp::make_error(iq.stanza, xmpp::ErrorType::cancel, "not-allowed"));
  // No nodes yet (XEP-0030 3.2): a node we do not know is item-not-found.
  if (iq.payload().attr("node"))
    return out_.send(xmpp::make_error(iq.stanza, xmpp::ErrorType::cancel, "item-not-found"));
  xml::Element reply = xmpp::make_result(iq.stanza);
  xml::Element& query = reply.add_child("query", std::string(kDiscoInfoNs));
  for (const auto& id : identities) {
    xml::Element& e = query.add_child("identity", std::string(kDiscoInfoNs));
    e.set_attr("category", id.category).set_attr("type", id.type);
    if (!id.name.empty()) e.set_attr("name", id.name);
  }
  for (const auto& var : features) query.add_child("feature", std::string(kDiscoInfoNs)).set_attr("var", var);
  out_.send(std::move(reply));
}

void DiscoService::server_info(const Iq& iq) {
  reply_info(iq, services_.server_identities(), services_.server_features());
}

void DiscoService::account_info(const Iq& iq) {
  if (!from_own_account(iq))
    return out_.send(xmpp::make_error(iq.stanza, xmpp::ErrorType::cancel, "service-unavailable"));
  static const std::vector<DiscoIdentity> kAccount = {{"account", "registered", ""}};
  reply_info(iq, kAccount, services_.account_features());
}

void DiscoService::items(const Iq& iq, bool account) {
  if (account && !from_own_account(iq))
    return out_.send(xmpp::make_error(iq.stanza, xmpp::ErrorType::cancel, "service-unavailable"));
  if (!iq.is_get()) return out_.send(xmpp::make_error(iq.stanza, xmpp::ErrorType::cancel, "not-allowed"));
  if (iq.payload().attr("node"))
    return out_.send(xmpp::make_error(iq.stanza, xmpp::ErrorType::cancel, "item-not-found"));
  // No items yet: service domains (upload, MUC) will list themselves here.
  xml::Element reply = xmpp::make_result(iq.stanza);
  reply.add_child("query", std::string(kDiscoItemsNs));
  out_.send(std::move(reply));
}

}  // namespace herald::home::core
