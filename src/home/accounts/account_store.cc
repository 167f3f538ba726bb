#include "home/accounts/account_store.h"

#include <asio/execution/outstanding_work.hpp>
#include <asio/prefer.hpp>
#include <chrono>
#include <cstdio>

#include "xmpp/jid.h"

namespace herald::home::accounts {

using store::Blob;
using store::Connection;
using xmpp::sasl::Hash;
using xmpp::sasl::ScramCredentials;

namespace {

constexpr Hash kHashes[] = {Hash::sha1, Hash::sha256, Hash::sha512};

// Today in UTC as YYYY-MM-DD: the only time an account row holds.
std::string today() {
  using namespace std::chrono;
  year_month_day d{floor<days>(system_clock::now())};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", int(d.year()), unsigned(d.month()),
                unsigned(d.day()));
  return text;
}

Status insert_keys(Connection& c, int64_t account_id, const std::vector<ScramCredentials>& keys) {
  for (const ScramCredentials& k : keys) {
    auto r = c.query(
        "INSERT INTO account_scram (account_id, hash, salt, iterations, stored_key, server_key) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {account_id, std::string(hash_column(k.hash)), Blob{k.salt}, int64_t(k.iterations),
         Blob{k.stored_key}, Blob{k.server_key}});
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

Result<int64_t> account_id(Connection& c, const AccountName& name) {
  auto r = c.query("SELECT id FROM accounts WHERE host = $1 AND username = $2",
                   {name.host, name.username});
  if (!r.ok()) return r.status();
  if (r->rows.empty()) return NotFound("no such user");
  return r->rows[0].integer(0);
}

}  // namespace

std::string_view hash_column(Hash hash) {
  switch (hash) {
    case Hash::sha1: return "sha1";
    case Hash::sha256: return "sha256";
    case Hash::sha512: return "sha512";
  }
  return "sha256";
}

AccountStore::AccountStore(store::Database& db, net::CpuPool& cpu,
                           const std::vector<std::string>& hosts, uint32_t iterations)
    : db_(db), cpu_(cpu), hosts_(hosts.begin(), hosts.end()), iterations_(iterations) {}

bool AccountStore::serves(const std::string& host) const {
  auto domain = xmpp::normalize_domain(host);
  return domain && hosts_.count(*domain);
}

Result<AccountName> AccountStore::normalize(const std::string& host,
                                            const std::string& username) const {
  auto domain = xmpp::normalize_domain(host);
  if (!domain || !hosts_.count(*domain)) return Invalid("unknown host");
  // Jid::parse nodepreps the localpart; '@' and '/' would change what is parsed.
  if (username.empty() || username.find_first_of("@/") != std::string::npos)
    return Invalid("invalid username");
  auto jid = xmpp::Jid::parse(username + "@" + *domain);
  if (!jid || jid->local().empty() || !jid->is_bare()) return Invalid("invalid username");
  return AccountName{jid->domain(), jid->local()};
}

void AccountStore::derive_then(Executor executor, std::string password, Write write, Done done) {
  if (password.empty()) return asio::post(executor, [done] { done(Invalid("empty password")); });
  // The CPU pool holds no work on the executor: keep it running (a private
  // loop in store::await() would otherwise return before the answer).
  auto tracked = asio::prefer(executor, asio::execution::outstanding_work.tracked);
  cpu_.run<Keys>(
      tracked,
      [password = std::move(password), iterations = iterations_]() -> Result<Keys> {
        Keys keys;
        for (Hash h : kHashes) {
          auto k = xmpp::sasl::derive(h, password, iterations);
          if (!k.ok()) return k.status();
          keys.push_back(std::move(*k));
        }
        return keys;
      },
      [this, executor, write = std::move(write), done = std::move(done)](Result<Keys> keys) {
        if (!keys.ok()) return done(keys.status());
        db_.run(
            executor,
            [write, keys = std::move(*keys)](Connection& c) -> Status {
              return c.transaction([&] { return write(c, keys); });
            },
            done);
      });
}

void AccountStore::add(Executor executor, const std::string& host, const std::string& username,
                       std::string password, Done done) {
  auto name = normalize(host, username);
  if (!name.ok()) return asio::post(executor, [done, s = name.status()] { done(s); });
  derive_then(
      executor, std::move(password),
      [name = *name](Connection& c, const Keys& keys) -> Status {
        const char* sql = c.engine() == store::Engine::postgres
                              ? "INSERT INTO accounts (host, username, created_on) "
                                "VALUES ($1, $2, CAST($3 AS DATE)) RETURNING id"
                              : "INSERT INTO accounts (host, username, created_on) "
                                "VALUES ($1, $2, $3) RETURNING id";
        auto r = c.query(sql, {name.host, name.username, today()});
        if (!r.ok()) return r.status().is(StatusCode::exists) ? Exists("user exists") : r.status();
        if (r->rows.empty()) return Internal("no id for the new account");
        return insert_keys(c, r->rows[0].integer(0), keys);
      },
      std::move(done));
}

void AccountStore::remove(Executor executor, const std::string& host, const std::string& username,
                          Done done) {
  auto name = normalize(host, username);
  if (!name.ok()) return asio::post(executor, [done, s = name.status()] { done(s); });
  db_.run(
      executor,
      [name = *name](Connection& c) -> Status {
        auto r = c.query("DELETE FROM accounts WHERE host = $1 AND username = $2",
                         {name.host, name.username});
        if (!r.ok()) return r.status();
        return r->affected ? Status::Ok() : NotFound("no such user");
      },
      std::move(done));
}

void AccountStore::set_password(Executor executor, const std::string& host,
                                const std::string& username, std::string password, Done done) {
  auto name = normalize(host, username);
  if (!name.ok()) return asio::post(executor, [done, s = name.status()] { done(s); });
  derive_then(
      executor, std::move(password),
      [name = *name](Connection& c, const Keys& keys) -> Status {
        auto id = account_id(c, name);
        if (!id.ok()) return id.status();
        auto r = c.query("DELETE FROM account_scram WHERE account_id = $1", {*id});
        if (!r.ok()) return r.status();
        return insert_keys(c, *id, keys);
      },
      std::move(done));
}

void AccountStore::list(Executor executor, const std::string& host,
                        std::function<void(Result<std::vector<std::string>>)> done) {
  auto domain = xmpp::normalize_domain(host);
  if (!domain || !hosts_.count(*domain))
    return asio::post(executor, [done] { done(Invalid("unknown host")); });
  db_.run<std::vector<std::string>>(
      executor,
      [host = *domain](Connection& c) -> Result<std::vector<std::string>> {
        auto r = c.query("SELECT username FROM accounts WHERE host = $1 ORDER BY username", {host});
        if (!r.ok()) return r.status();
        std::vector<std::string> names;
        names.reserve(r->rows.size());
        for (const store::Row& row : r->rows) names.push_back(row.text(0));
        return names;
      },
      std::move(done));
}

void AccountStore::credentials(Executor executor, const std::string& host,
                               const std::string& username, Hash hash,
                               std::function<void(Result<ScramCredentials>)> done) {
  auto name = normalize(host, username);
  if (!name.ok()) return asio::post(executor, [done] { done(NotFound("no such user")); });
  db_.run<ScramCredentials>(
      executor,
      [name = *name, hash](Connection& c) -> Result<ScramCredentials> {
        auto r = c.query(
            "SELECT s.salt, s.iterations, s.stored_key, s.server_key FROM account_scram s "
            "JOIN accounts a ON a.id = s.account_id "
            "WHERE a.host = $1 AND a.username = $2 AND s.hash = $3",
            {name.host, name.username, std::string(hash_column(hash))});
        if (!r.ok()) return r.status();
        if (r->rows.empty()) return NotFound("no such user");
        const store::Row& row = r->rows[0];
        ScramCredentials k;
        k.hash = hash;
        k.salt = row.text(0);
        k.iterations = uint32_t(row.integer(1));
        k.stored_key = row.text(2);
        k.server_key = row.text(3);
        return k;
      },
      std::move(done));
}

}  // namespace herald::home::accounts
