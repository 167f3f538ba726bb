#include "home/core/services.h"

#include <algorithm>
#include <stdexcept>

namespace herald::home::core {

void Services::check_open() const {
  if (frozen_) throw std::logic_error("services: registrations are made before the hub starts");
}

void Services::add_account_iq(std::string_view ns, IqHandler handler) {
  check_open();
  if (!account_iq_.emplace(std::string(ns), std::move(handler)).second)
    throw std::logic_error("services: two account handlers for " + std::string(ns));
}

void Services::add_server_iq(std::string_view ns, IqHandler handler) {
  check_open();
  if (!server_iq_.emplace(std::string(ns), std::move(handler)).second)
    throw std::logic_error("services: two server handlers for " + std::string(ns));
}

void Services::add_server_identity(DiscoIdentity identity) {
  check_open();
  server_identities_.push_back(std::move(identity));
}

void Services::add_feature(std::vector<std::string>& to, std::string_view var) {
  auto it = std::lower_bound(to.begin(), to.end(), var);
  if (it == to.end() || *it != var) to.insert(it, std::string(var));
}

void Services::add_server_feature(std::string_view var) {
  check_open();
  add_feature(server_features_, var);
}

void Services::add_account_feature(std::string_view var) {
  check_open();
  add_feature(account_features_, var);
}

void Services::on_session_bound(SessionHook hook) {
  check_open();
  bound_.push_back(std::move(hook));
}

void Services::on_session_unbound(SessionHook hook) {
  check_open();
  unbound_.push_back(std::move(hook));
}

void Services::on_account_deleted(AccountHook hook) {
  check_open();
  deleted_.push_back(std::move(hook));
}

void Services::on_broadcast_presence(PresenceHook hook) {
  check_open();
  presence_.push_back(std::move(hook));
}

void Services::on_inbound_presence(StanzaHook hook) {
  check_open();
  inbound_presence_.push_back(std::move(hook));
}

void Services::set_offline_store(StanzaHook store) {
  check_open();
  if (offline_) throw std::logic_error("services: one offline store");
  offline_ = std::move(store);
}

const Services::IqHandler* Services::account_iq(std::string_view ns) const {
  auto it = account_iq_.find(ns);
  return it == account_iq_.end() ? nullptr : &it->second;
}

const Services::IqHandler* Services::server_iq(std::string_view ns) const {
  auto it = server_iq_.find(ns);
  return it == server_iq_.end() ? nullptr : &it->second;
}

}  // namespace herald::home::core
