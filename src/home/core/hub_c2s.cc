// The hub as the client streams' host (xmpp::C2sHost): passwords and
// addresses go to the Authenticator, sessions to the hub's own binding.
#include "home/core/hub.h"
#include "home/core/hub_state.h"

namespace herald::home::core {
namespace {

// Posts `done`'s result back to `loop`, whichever thread answers.
template <typename T>
std::function<void(Result<T>)> back_to(net::LoopPool& loops, size_t loop,
                                       std::function<void(Result<T>)> done) {
  return [&loops, loop, done = std::move(done)](Result<T> r) mutable {
    loops.post(loop, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  };
}

}  // namespace

bool Hub::serves_host(std::string_view host) const {
  return hosts_.contains(host);
}

bool Hub::admit_address(const asio::ip::address& address) {
  return authenticator_ ? authenticator_->admit_address(address) : true;
}

void Hub::lookup_credentials(const std::string& host, const std::string& username,
                             xmpp::sasl::Hash hash,
                             std::function<void(Result<xmpp::sasl::ScramCredentials>)> done) {
  auto answer = back_to(loops_, here(), std::move(done));
  if (!authenticator_) return answer(NotFound("no accounts"));
  authenticator_->lookup_credentials(host, username, hash, std::move(answer));
}

void Hub::check_password(const std::string& host, const std::string& username,
                         const std::string& password, std::function<void(Result<bool>)> done) {
  auto answer = back_to(loops_, here(), std::move(done));
  if (!authenticator_) return answer(false);
  authenticator_->check_password(host, username, password, std::move(answer));
}

void Hub::authentication_failed(const asio::ip::address& address) {
  if (authenticator_) authenticator_->authentication_failed(address);
}

void Hub::authenticated(const xmpp::Jid& bare) {
  if (authenticator_) authenticator_->authenticated(bare);
}

void Hub::bind(std::shared_ptr<xmpp::C2sSession> c2s, const xmpp::Jid& bare,
               const std::string& requested, std::function<void(Result<xmpp::Jid>)> done) {
  size_t loop = here();
  if (!adapter_) {
    loops_.post(loop, [done = std::move(done)] { done(Unavailable("no client sessions")); });
    return;
  }
  std::shared_ptr<Session> session = adapter_(c2s);
  state(loop).c2s[c2s.get()] = session;
  bind(session, bare, requested,
       [this, loop, key = c2s.get(), done = std::move(done)](Result<xmpp::Jid> r) mutable {
         if (!r.ok()) state(loop).c2s.erase(key);
         done(std::move(r));
       });
}

void Hub::from_client(xmpp::C2sSession& c2s, xml::Element stanza) {
  auto& sessions = state(here()).c2s;
  auto it = sessions.find(&c2s);
  if (it != sessions.end()) from_session(*it->second, std::move(stanza));
}

void Hub::unbound(xmpp::C2sSession& c2s) {
  auto& sessions = state(here()).c2s;
  auto it = sessions.find(&c2s);
  if (it == sessions.end()) return;
  std::shared_ptr<Session> session = std::move(it->second);
  sessions.erase(it);
  unbound(*session);
}

}  // namespace herald::home::core
