// A C2sHost for tests: accounts in memory (SCRAM keys derived once, for the
// three hashes), binds with a chosen answer to a taken resource, and a
// record of what happened. Every answer is posted back to the loop given
// at construction (the tests run one), as the real hub posts back to the
// session's loop. A message a client sends to its own bare JID comes back
// to it (so a real client can see its stanzas go through).
//
// Threads: the C2sHost calls run on the loop; the test reads the record
// from its own thread through the accessors (under a mutex).
#pragma once

#include <asio.hpp>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "xmpp/c2s/c2s_host.h"
#include "xmpp/c2s/c2s_session.h"

namespace herald::xmpp {

class FakeC2sHost : public C2sHost {
 public:
  FakeC2sHost(asio::io_context& loop, C2sConfig config, std::set<std::string> hosts);

  void add_user(const std::string& host, const std::string& user, const std::string& password);

  // What bind() does with a resource already bound: refuse it (exists) or
  // close the older session with "conflict" and bind the new one.
  enum class OnConflict { refuse, replace };
  OnConflict on_conflict = OnConflict::refuse;
  bool admit = true;       // admit_address()
  bool store_down = false;  // lookups answer unavailable

  // The record.
  std::vector<xml::Element> received() const;
  size_t failed_logins() const;
  std::vector<std::string> logins() const;  // bare JIDs
  size_t bound_sessions() const;
  size_t unbinds() const;
  // On the loop: deliver `stanza` to the session bound to `full`.
  void deliver_to(const std::string& full, const xml::Element& stanza);

  // C2sHost
  const C2sConfig& c2s_config() const override { return config_; }
  bool serves_host(std::string_view host) const override;
  bool admit_address(const asio::ip::address& address) override;
  void lookup_credentials(const std::string& host, const std::string& username, sasl::Hash hash,
                          std::function<void(Result<sasl::ScramCredentials>)> done) override;
  void check_password(const std::string& host, const std::string& username,
                      const std::string& password, std::function<void(Result<bool>)> done) override;
  void authentication_failed(const asio::ip::address& address) override;
  void authenticated(const Jid& bare) override;
  void bind(std::shared_ptr<C2sSession> session, const Jid& bare, const std::string& requested,
            std::function<void(Result<Jid>)> done) override;
  void from_client(C2sSession& session, xml::Element stanza) override;
  void unbound(C2sSession& session) override;

 private:
  asio::io_context& loop_;
  C2sConfig config_;
  std::set<std::string, std::less<>> hosts_;
  mutable std::mutex mutex_;
  // "user@host" -> keys per hash
  std::map<std::string, std::map<sasl::Hash, sasl::ScramCredentials>> accounts_;
  std::map<std::string, std::shared_ptr<C2sSession>> sessions_;  // full JID
  std::vector<xml::Element> received_;
  std::vector<std::string> logins_;
  size_t failed_logins_ = 0;
  size_t unbinds_ = 0;
  unsigned next_resource_ = 0;
};

}  // namespace herald::xmpp
