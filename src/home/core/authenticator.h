// Where the hub's C2sHost asks about passwords and addresses: the accounts
// service implements it (credentials in the store, PBKDF2 on the CPU pool,
// the abuse filter). Without one the hub knows no account, so every login
// fails like one with a wrong password.
//
// `done` may be called on any thread, exactly once; the hub posts the
// result back to the session's loop. The address is for the abuse filter
// only: never logged, never stored outside the blocklist.
#pragma once

#include <asio/ip/address.hpp>
#include <functional>
#include <string>

#include "base/status.h"
#include "xmpp/jid.h"
#include "xmpp/sasl/credentials.h"

namespace herald::home::core {

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual bool admit_address(const asio::ip::address& address) = 0;
  // not_found for an unknown account.
  virtual void lookup_credentials(const std::string& host, const std::string& username,
                                  xmpp::sasl::Hash hash,
                                  std::function<void(Result<xmpp::sasl::ScramCredentials>)> done) = 0;
  virtual void check_password(const std::string& host, const std::string& username,
                              const std::string& password, std::function<void(Result<bool>)> done) = 0;
  virtual void authentication_failed(const asio::ip::address& address) = 0;
  virtual void authenticated(const xmpp::Jid& bare) = 0;
};

}  // namespace herald::home::core
