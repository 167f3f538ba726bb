// The hub's Authenticator backed by the AccountStore: SCRAM logins get the
// stored keys, PLAIN logins have their password derived on the CpuPool and
// compared with the stored StoredKey in constant time.
//
// An unknown user, a name that does not prepare, or a host we do not serve
// is `not_found` for SCRAM (the session then runs its fake exchange) and
// false for PLAIN, after the same derivation as for a real account, so
// that timing does not tell the two apart.
//
// Not yet: the abuse filter. admit_address() admits every address and
// authentication_failed() does nothing; the filter (failure counts per
// address, the blocklist) comes later and will live behind these calls.
// authenticated() keeps nothing either: no login time is ever stored.
//
// Threads: every call may come from any loop; the store's answers run on
// `executor` (given at construction, e.g. loop 0; the handlers there only
// forward), and `done` is called from there, which the Authenticator
// contract allows (the hub posts back to the session's loop).
#pragma once

#include <asio/any_io_executor.hpp>

#include "home/accounts/account_store.h"
#include "home/core/authenticator.h"
#include "net/cpu_pool.h"

namespace herald::home::accounts {

class AccountsService : public core::Authenticator {
 public:
  AccountsService(AccountStore& store, net::CpuPool& cpu, asio::any_io_executor executor);

  bool admit_address(const asio::ip::address& address) override;
  void lookup_credentials(const std::string& host, const std::string& username,
                          xmpp::sasl::Hash hash,
                          std::function<void(Result<xmpp::sasl::ScramCredentials>)> done) override;
  void check_password(const std::string& host, const std::string& username,
                      const std::string& password, std::function<void(Result<bool>)> done) override;
  void authentication_failed(const asio::ip::address& address) override;
  void authenticated(const xmpp::Jid& bare) override;

 private:
  AccountStore& store_;
  net::CpuPool& cpu_;
  asio::any_io_executor executor_;
};

}  // namespace herald::home::accounts
