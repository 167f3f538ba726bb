// The narrow interface between the hub and the home server's services
// (disco, ping; later roster, presence, vCard, registration, offline, ...).
// A service registers here, before the hub starts, what it handles:
//
//  - IQ handlers by payload namespace, for IQs (get/set) addressed to a
//    local account's bare JID (or sent by the account's own client without
//    a 'to'), and for IQs addressed to a host domain (the server);
//  - disco#info data: the server's identities and features, the features
//    an account's bare JID offers (XEP-0030), collected from every service;
//  - hooks on the account's life: a session bound or unbound, the account
//    deleted, the session's own broadcast presence, inbound presence of the
//    types the hub does not route itself, and the offline store.
//
// Threads: everything is registered before freeze() (the hub's start) and
// never changes after, so lookups need no lock. Account handlers and hooks
// run on the account's loop (keep per-account state by loop there); server
// handlers run on whichever loop the stanza arrived on and must be
// thread-safe (they usually hold no state). Replies go out through the
// StanzaSender the service was built with (the router).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "xml/element.h"
#include "xmpp/jid.h"

namespace herald::home::core {

// One IQ request, its addresses parsed. `to` is the account's bare JID for
// account handlers (also when the client sent it without a 'to'), the
// host's domain JID for server handlers.
struct Iq {
  xml::Element stanza;
  xmpp::Jid from;
  xmpp::Jid to;
  // The payload: the first child element (get/set carry exactly one).
  const xml::Element& payload() const { return stanza.children().front(); }
  bool is_get() const { return stanza.attr_or("type") == "get"; }
};

struct DiscoIdentity {
  std::string category, type, name;
};

class Services {
 public:
  using IqHandler = std::function<void(Iq iq)>;
  // The session's full JID and, for unbound, whether it was available.
  using SessionHook = std::function<void(const xmpp::Jid& full, bool available)>;
  using AccountHook = std::function<void(const xmpp::Jid& bare)>;
  // Presence the client sent without a 'to' (its broadcast presence), after
  // the hub updated the session's availability and priority.
  using PresenceHook = std::function<void(const xmpp::Jid& full, const xml::Element& presence)>;
  // A stanza for an account that a service may take: true when it did.
  using StanzaHook = std::function<bool(const xmpp::Jid& to, xml::Element& stanza)>;

  // Start-up only; a namespace registered twice for the same kind of
  // address is a bug (std::logic_error).
  void add_account_iq(std::string_view ns, IqHandler handler);
  void add_server_iq(std::string_view ns, IqHandler handler);
  void add_server_identity(DiscoIdentity identity);
  void add_server_feature(std::string_view var);
  void add_account_feature(std::string_view var);
  void on_session_bound(SessionHook hook);
  void on_session_unbound(SessionHook hook);
  void on_account_deleted(AccountHook hook);
  void on_broadcast_presence(PresenceHook hook);
  // Inbound presence of type subscribe, subscribed, unsubscribe,
  // unsubscribed or probe (the roster's and presence engine's); without a
  // taker it is dropped.
  void on_inbound_presence(StanzaHook hook);
  // A chat or normal message to a bare JID with no available resource of
  // non-negative priority (RFC 6121 8.5.2.2): the offline store (XEP-0160)
  // takes it; without one the sender gets service-unavailable.
  void set_offline_store(StanzaHook store);
  void freeze() { frozen_ = true; }

  // For the hub and the disco service (after freeze()).
  const IqHandler* account_iq(std::string_view ns) const;
  const IqHandler* server_iq(std::string_view ns) const;
  const std::vector<DiscoIdentity>& server_identities() const { return server_identities_; }
  // Sorted, each once (XEP-0030 lists every feature once).
  const std::vector<std::string>& server_features() const { return server_features_; }
  const std::vector<std::string>& account_features() const { return account_features_; }
  const std::vector<SessionHook>& session_bound_hooks() const { return bound_; }
  const std::vector<SessionHook>& session_unbound_hooks() const { return unbound_; }
  const std::vector<AccountHook>& account_deleted_hooks() const { return deleted_; }
  const std::vector<PresenceHook>& broadcast_presence_hooks() const { return presence_; }
  const std::vector<StanzaHook>& inbound_presence_hooks() const { return inbound_presence_; }
  const StanzaHook& offline_store() const { return offline_; }

 private:
  void check_open() const;
  static void add_feature(std::vector<std::string>& to, std::string_view var);

  bool frozen_ = false;
  std::map<std::string, IqHandler, std::less<>> account_iq_, server_iq_;
  std::vector<DiscoIdentity> server_identities_;
  std::vector<std::string> server_features_, account_features_;
  std::vector<SessionHook> bound_, unbound_;
  std::vector<AccountHook> deleted_;
  std::vector<PresenceHook> presence_;
  std::vector<StanzaHook> inbound_presence_;
  StanzaHook offline_;
};

}  // namespace herald::home::core
