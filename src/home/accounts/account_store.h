// The accounts of herald-home's hosts and their SCRAM keys, on
// store::Database (accounts_schema.h).
//
// Names: the host must be one of the configured hosts (nameprep'ed first),
// the username is nodeprep'ed; anything else is `invalid` with a message
// fit for an operator ("unknown host", "invalid username"), naming neither.
// Passwords are SASLprep'ed and turned into the keys of all three hashes
// (SHA-1, SHA-256, SHA-512) at `iterations`; that derivation runs on the
// CpuPool, never on an event loop and never on a database worker. The
// password itself is not kept, not logged, and dropped once derived.
//
// Asynchronous: `done` runs on the executor given (one handler at a time),
// within the database's answer_timeout() plus the derivation. Errors:
// `exists` when adding a user that exists, `not_found` for a user (or
// credentials) that does not, `invalid` for names and empty or refused
// passwords, or the store's own (unavailable, timeout). The Database and
// the CpuPool must outlive the answers. Command-line tools wait with
// store::await().
#pragma once

#include <asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "net/cpu_pool.h"
#include "store/database.h"
#include "xmpp/sasl/credentials.h"

namespace herald::home::accounts {

struct AccountName {
  std::string host;      // nameprep'ed, one of the hosts
  std::string username;  // nodeprep'ed
};

class AccountStore {
 public:
  using Executor = asio::any_io_executor;
  using Done = std::function<void(Status)>;

  AccountStore(store::Database& db, net::CpuPool& cpu, const std::vector<std::string>& hosts,
               uint32_t iterations);

  // The names as stored, or `invalid`.
  Result<AccountName> normalize(const std::string& host, const std::string& username) const;
  bool serves(const std::string& host) const;
  uint32_t iterations() const { return iterations_; }

  void add(Executor executor, const std::string& host, const std::string& username,
           std::string password, Done done);
  // Deletes the account and, by the schema's cascade, its keys.
  void remove(Executor executor, const std::string& host, const std::string& username, Done done);
  // New keys for all three hashes, replacing the old ones in one transaction.
  void set_password(Executor executor, const std::string& host, const std::string& username,
                    std::string password, Done done);
  // The usernames of `host`, sorted.
  void list(Executor executor, const std::string& host,
            std::function<void(Result<std::vector<std::string>>)> done);
  void credentials(Executor executor, const std::string& host, const std::string& username,
                   xmpp::sasl::Hash hash,
                   std::function<void(Result<xmpp::sasl::ScramCredentials>)> done);

 private:
  using Keys = std::vector<xmpp::sasl::ScramCredentials>;
  using Write = std::function<Status(store::Connection&, const Keys&)>;
  // Derives the keys on the CPU pool, then runs `write` with them in one
  // transaction on the database.
  void derive_then(Executor executor, std::string password, Write write, Done done);

  store::Database& db_;
  net::CpuPool& cpu_;
  std::set<std::string, std::less<>> hosts_;
  uint32_t iterations_;
};

// "sha1", "sha256", "sha512": the hash column's values.
std::string_view hash_column(xmpp::sasl::Hash hash);

}  // namespace herald::home::accounts
