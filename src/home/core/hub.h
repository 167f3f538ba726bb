// The home server's hub: owns the online state of every account, binds
// client sessions, and routes every stanza for a host domain.
//
// Loops: each account is owned by one loop of the LoopPool, chosen by a
// hash of its bare JID (account_loop()); its Account (sessions,
// availability, priority) lives and changes on that loop only. A session
// lives on its own loop (the connection's), which may differ. Work crosses
// loops only as posted handlers:
//   session loop --(bind, client stanza, unbound)--> account loop
//   account loop --(deliver, close, bind's answer)--> session loop
// Nothing blocks and nothing is locked; the hub itself is immutable after
// start() apart from the per-loop states.
//
// Routing (RFC 6120 10, RFC 6121 8.5):
//  - to a full JID: that session; no such resource: a message follows the
//    bare-JID rules, an IQ request gets service-unavailable, presence is
//    dropped;
//  - to a bare JID: chat/normal messages to the available resources of the
//    highest non-negative priority (none: the offline store, else
//    service-unavailable); headlines to every available non-negative one;
//    groupchat service-unavailable; IQ requests to the account services by
//    payload namespace; available/unavailable presence to every available
//    resource; subscription presence and probes to the presence hooks;
//  - to a host domain: IQ requests to the server services.
// A client's stanza goes to its account's loop first: IQs without a 'to'
// (or to its own bare JID) to the account services, presence without a
// 'to' sets the session's availability and priority (then the broadcast
// hooks), a message without a 'to' goes to its own bare JID, the rest to
// the router. 'from' is always the session's full JID, whatever the client
// wrote.
//
// Binding (RFC 6120 7): a requested resource is resourceprep'ed (invalid:
// `invalid`), an empty one is generated. A resource in use: by default the
// new session takes over and the old one ends with stream error conflict
// (RFC 6120 7.7.2.2); with ConflictPolicy::refuse the bind fails with
// `exists`. Beyond max_resources: `unavailable`. Every bind that succeeded
// is followed by exactly one unbound(), also when the session closed before
// the answer arrived.
//
// Privacy: logs at info and above carry counts and reasons, never a JID.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "home/core/account.h"
#include "home/core/authenticator.h"
#include "home/core/services.h"
#include "home/core/session.h"
#include "net/loop_pool.h"
#include "xmpp/c2s/c2s_host.h"
#include "xmpp/stanza_channel.h"

namespace herald::home::core {

struct HubConfig {
  std::vector<std::string> hosts;  // the host domains accounts live on
  enum class ConflictPolicy { take_over, refuse };
  ConflictPolicy conflict = ConflictPolicy::take_over;
};

class Hub : public xmpp::StanzaHandler, public xmpp::C2sHost {
 public:
  // `router` is where the hub's stanzas go (to other accounts, to other
  // servers); the application registers the hub with it for every host.
  // `c2s` must outlive the hub (max_resources is read from it).
  Hub(net::LoopPool& loops, HubConfig config, const xmpp::C2sConfig& c2s, Services& services,
      xmpp::StanzaSender& router);
  ~Hub() override;
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Start-up: where logins are checked (the accounts service), and how a
  // client stream becomes a Session (the c2s wiring of the application).
  void set_authenticator(Authenticator* authenticator) { authenticator_ = authenticator; }
  using SessionAdapter = std::function<std::shared_ptr<Session>(std::shared_ptr<xmpp::C2sSession>)>;
  void set_session_adapter(SessionAdapter adapter) { adapter_ = std::move(adapter); }
  // Freezes the services' registrations.
  void start();

  // Sessions, called on the session's own loop. `done` runs there too.
  void bind(std::shared_ptr<Session> session, const xmpp::Jid& bare, const std::string& requested,
            std::function<void(Result<xmpp::Jid>)> done);
  void from_session(Session& session, xml::Element stanza);
  void unbound(Session& session);

  // A stanza for a host domain (from the router), on any thread.
  void handle(xml::Element stanza) override;

  // The accounts service deleted the account: its sessions end (stream
  // error not-authorized) and the account_deleted hooks run on its loop.
  void account_deleted(const xmpp::Jid& bare);
  // Shutdown: refuses new binds and ends every session with `condition`
  // (e.g. system-shutdown). The sessions report unbound() as they close.
  void close_all_sessions(std::string_view condition, std::string_view text);

  size_t account_loop(const xmpp::Jid& bare) const;
  size_t session_count() const { return sessions_.load(std::memory_order_relaxed); }
  const HubConfig& config() const { return config_; }

  // xmpp::C2sHost (hub_c2s.cc)
  const xmpp::C2sConfig& c2s_config() const override { return c2s_; }
  bool serves_host(std::string_view host) const override;
  bool admit_address(const asio::ip::address& address) override;
  void lookup_credentials(const std::string& host, const std::string& username,
                          xmpp::sasl::Hash hash,
                          std::function<void(Result<xmpp::sasl::ScramCredentials>)> done) override;
  void check_password(const std::string& host, const std::string& username,
                      const std::string& password, std::function<void(Result<bool>)> done) override;
  void authentication_failed(const asio::ip::address& address) override;
  void authenticated(const xmpp::Jid& bare) override;
  void bind(std::shared_ptr<xmpp::C2sSession> session, const xmpp::Jid& bare,
            const std::string& requested, std::function<void(Result<xmpp::Jid>)> done) override;
  void from_client(xmpp::C2sSession& session, xml::Element stanza) override;
  void unbound(xmpp::C2sSession& session) override;

 private:
  struct Bound;
  struct LoopState;
  LoopState& state(size_t loop) { return *states_[loop]; }
  // Runs `f` on loop `index`: at once when already there, else posted.
  template <typename F>
  void run_on(size_t index, F&& f);
  // The loop the calling thread runs (the session's, for C2sHost calls).
  size_t here() const;

  void bind_here(std::shared_ptr<Session> session, xmpp::Jid bare,
                 std::optional<xmpp::Jid> requested, std::function<void(Result<xmpp::Jid>)> done);
  void drop_resource_later(size_t account_loop, Bound bound);
  void client_stanza(const Bound& sender, xml::Element stanza);
  void broadcast_presence(Account& account, Resource& resource, const xmpp::Jid& full,
                          xml::Element& presence);
  void to_account(xml::Element stanza, const xmpp::Jid& to);
  void to_server(xml::Element stanza, const xmpp::Jid& to);
  void message_to_bare(Account* account, xml::Element stanza, const xmpp::Jid& to, bool to_full);
  void presence_to_account(Account* account, xml::Element stanza, const xmpp::Jid& to);
  void account_iq(xml::Element stanza, const xmpp::Jid& bare);
  void run_iq(const Services::IqHandler* handler, xml::Element stanza, xmpp::Jid to);
  void deliver(const Resource& resource, xml::Element stanza);
  // Answers a request with a stanza error (never an error or a result).
  void bounce(const xml::Element& stanza, std::string_view condition);
  void remove_resource(Account& account, const std::string& bare, const std::string& resource,
                       size_t loop);
  Account* find_account(size_t loop, const std::string& bare);

  net::LoopPool& loops_;
  HubConfig config_;
  const xmpp::C2sConfig& c2s_;
  Services& services_;
  xmpp::StanzaSender& router_;
  std::set<std::string, std::less<>> hosts_;
  Authenticator* authenticator_ = nullptr;
  SessionAdapter adapter_;
  std::vector<std::unique_ptr<LoopState>> states_;
  std::atomic<size_t> sessions_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace herald::home::core
