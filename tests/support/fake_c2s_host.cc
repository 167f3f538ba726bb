#include "fake_c2s_host.h"

namespace herald::xmpp {

FakeC2sHost::FakeC2sHost(asio::io_context& loop, C2sConfig config, std::set<std::string> hosts)
    : loop_(loop), config_(std::move(config)), hosts_(hosts.begin(), hosts.end()) {}

void FakeC2sHost::add_user(const std::string& host, const std::string& user,
                           const std::string& password) {
  std::lock_guard lock(mutex_);
  for (auto hash : {sasl::Hash::sha1, sasl::Hash::sha256, sasl::Hash::sha512})
    accounts_[user + "@" + host][hash] = sasl::derive(hash, password, config_.scram_iterations).value();
}

std::vector<xml::Element> FakeC2sHost::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

size_t FakeC2sHost::failed_logins() const {
  std::lock_guard lock(mutex_);
  return failed_logins_;
}

std::vector<std::string> FakeC2sHost::logins() const {
  std::lock_guard lock(mutex_);
  return logins_;
}

size_t FakeC2sHost::bound_sessions() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

size_t FakeC2sHost::unbinds() const {
  std::lock_guard lock(mutex_);
  return unbinds_;
}

void FakeC2sHost::deliver_to(const std::string& full, const xml::Element& stanza) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(full);
  if (it != sessions_.end()) it->second->deliver(stanza);
}

bool FakeC2sHost::serves_host(std::string_view host) const {
  return hosts_.contains(host);
}

bool FakeC2sHost::admit_address(const asio::ip::address&) {
  return admit;
}

void FakeC2sHost::lookup_credentials(const std::string& host, const std::string& username,
                                     sasl::Hash hash,
                                     std::function<void(Result<sasl::ScramCredentials>)> done) {
  Result<sasl::ScramCredentials> answer = NotFound();
  {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(username + "@" + host);
    if (store_down) answer = Unavailable("store down");
    else if (it != accounts_.end()) answer = it->second.at(hash);
  }
  asio::post(loop_, [done = std::move(done), answer = std::move(answer)] { done(answer); });
}

void FakeC2sHost::check_password(const std::string& host, const std::string& username,
                                 const std::string& password, std::function<void(Result<bool>)> done) {
  Result<bool> answer = false;
  {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(username + "@" + host);
    if (store_down) answer = Unavailable("store down");
    else if (it != accounts_.end())
      answer = sasl::password_matches(it->second.at(sasl::Hash::sha256), password);
  }
  asio::post(loop_, [done = std::move(done), answer = std::move(answer)] { done(answer); });
}

void FakeC2sHost::authentication_failed(const asio::ip::address&) {
  std::lock_guard lock(mutex_);
  ++failed_logins_;
}

void FakeC2sHost::authenticated(const Jid& bare) {
  std::lock_guard lock(mutex_);
  logins_.push_back(bare.str());
}

void FakeC2sHost::bind(std::shared_ptr<C2sSession> session, const Jid& bare,
                       const std::string& requested, std::function<void(Result<Jid>)> done) {
  std::string resource = requested.empty() ? "r" + std::to_string(++next_resource_) : requested;
  Result<Jid> answer = *Jid::parse(bare.str() + "/" + resource);
  std::shared_ptr<C2sSession> replaced;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(answer->str());
    if (it != sessions_.end() && on_conflict == OnConflict::refuse) {
      answer = Exists("resource in use");
    } else {
      if (it != sessions_.end()) replaced = it->second;
      sessions_[answer->str()] = session;
    }
  }
  // The older session leaves as unbound() says; its entry is already ours.
  if (replaced) replaced->close("conflict", "another session took this resource");
  asio::post(loop_, [done = std::move(done), answer = std::move(answer)] { done(answer); });
}

void FakeC2sHost::from_client(C2sSession& session, xml::Element stanza) {
  std::lock_guard lock(mutex_);
  if (stanza.name() == "message" && stanza.attr_or("to") == session.jid().bare().str()) {
    xml::Element echo = stanza;
    echo.set_attr("to", session.jid().str());
    session.deliver(echo);
  }
  received_.push_back(std::move(stanza));
}

void FakeC2sHost::unbound(C2sSession& session) {
  std::lock_guard lock(mutex_);
  ++unbinds_;
  auto it = sessions_.find(session.jid().str());
  if (it != sessions_.end() && it->second.get() == &session) sessions_.erase(it);
}

}  // namespace herald::xmpp
