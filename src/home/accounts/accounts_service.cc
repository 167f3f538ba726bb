#include "home/accounts/accounts_service.h"

#include <asio/execution/outstanding_work.hpp>
#include <asio/prefer.hpp>

namespace herald::home::accounts {

using xmpp::sasl::Hash;
using xmpp::sasl::ScramCredentials;

AccountsService::AccountsService(AccountStore& store, net::CpuPool& cpu,
                                 asio::any_io_executor executor)
    : store_(store), cpu_(cpu), executor_(std::move(executor)) {}

bool AccountsService::admit_address(const asio::ip::address&) {
  return true;
}

void AccountsService::lookup_credentials(const std::string& host, const std::string& username,
                                         Hash hash,
                                         std::function<void(Result<ScramCredentials>)> done) {
  store_.credentials(executor_, host, username, hash, std::move(done));
}

void AccountsService::check_password(const std::string& host, const std::string& username,
                                     const std::string& password,
                                     std::function<void(Result<bool>)> done) {
  uint32_t iterations = store_.iterations();
  store_.credentials(
      executor_, host, username, Hash::sha256,
      [this, username, password, iterations, done = std::move(done)](Result<ScramCredentials> found) mutable {
        if (!found.ok() && !found.status().is(StatusCode::not_found)) return done(found.status());
        // Unknown users cost the same derivation against keys nothing matches.
        ScramCredentials stored =
            found.ok() ? std::move(*found)
                       : xmpp::sasl::fake_credentials(Hash::sha256, "", username, iterations);
        bool known = found.ok();
        cpu_.run<bool>(
            asio::prefer(executor_, asio::execution::outstanding_work.tracked),
            [stored = std::move(stored), password = std::move(password), known]() -> Result<bool> {
              bool matches = xmpp::sasl::password_matches(stored, password);
              return known && matches;
            },
            std::move(done));
      });
}

void AccountsService::authentication_failed(const asio::ip::address&) {}

void AccountsService::authenticated(const xmpp::Jid&) {}

}  // namespace herald::home::accounts
