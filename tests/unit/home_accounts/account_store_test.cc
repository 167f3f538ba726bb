// AccountStore and AccountsService (home/accounts) on a real SQLite file and
// a real PostgreSQL: accounts are added, refused twice, listed, removed with
// their keys, re-keyed; the stored keys carry a full SCRAM exchange with
// xmpp/sasl's server and client; the files hold no password bytes.
#include "home/accounts/account_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <regex>

#include "../store/test_support.h"
#include "home/accounts/accounts_schema.h"
#include "home/accounts/accounts_service.h"
#include "xmpp/sasl/scram.h"

namespace herald::home::accounts {
namespace {

using store::Engine;
using store::testing::PostgresTestServer;
using xmpp::sasl::Hash;
using xmpp::sasl::ScramCredentials;

constexpr const char* kHost = "example.org";
constexpr const char* kPassword = "Tr0ub4dor&3-unique-password";

class AccountStoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    store::DatabaseOptions o;
    if (GetParam() == Engine::sqlite) {
      o.target = dir_.file("home.sqlite");
    } else {
      pg_ = std::make_unique<PostgresTestServer>();
      if (!pg_->available()) {
        if (pg_->binaries_missing() && !PostgresTestServer::required()) GTEST_SKIP() << pg_->why();
        FAIL() << pg_->why();
      }
      o.engine = Engine::postgres;
      o.target = pg_->conninfo();
    }
    o.version_table = kHomeVersionTable;
    db_ = store::Database::open(o, home_migrations());
    accounts_ = std::make_unique<AccountStore>(*db_, cpu_, std::vector<std::string>{kHost},
                                               xmpp::sasl::kMinIterations);
  }
  void TearDown() override {
    accounts_.reset();
    db_.reset();
  }

  Status add(const std::string& user, const std::string& password, const std::string& host = kHost) {
    return store::await<Status>(
        [&](auto ex, auto done) { accounts_->add(ex, host, user, password, done); });
  }
  Status remove(const std::string& user) {
    return store::await<Status>([&](auto ex, auto done) { accounts_->remove(ex, kHost, user, done); });
  }
  Status passwd(const std::string& user, const std::string& password) {
    return store::await<Status>(
        [&](auto ex, auto done) { accounts_->set_password(ex, kHost, user, password, done); });
  }
  Result<std::vector<std::string>> list(const std::string& host = kHost) {
    return store::await<Result<std::vector<std::string>>>(
        [&](auto ex, auto done) { accounts_->list(ex, host, done); });
  }
  Result<ScramCredentials> credentials(const std::string& user, Hash hash) {
    return store::await<Result<ScramCredentials>>(
        [&](auto ex, auto done) { accounts_->credentials(ex, kHost, user, hash, done); });
  }
  int64_t count(const std::string& sql) {
    auto r = db_->run_sync<int64_t>([&](store::Connection& c) -> Result<int64_t> {
      auto rows = c.query(sql);
      if (!rows.ok()) return rows.status();
      return rows->rows.at(0).integer(0);
    });
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.value_or(-1);
  }
  // A whole SCRAM exchange of xmpp/sasl's client against its server working
  // from the stored keys: true when both sides accept.
  bool scram_login(const std::string& user, const std::string& password, Hash hash) {
    auto stored = credentials(user, hash);
    EXPECT_TRUE(stored.ok()) << stored.status().to_string();
    if (!stored.ok()) return false;
    xmpp::sasl::ScramServer server(hash, false, {});
    xmpp::sasl::ScramClient client(hash, user, password);
    xmpp::sasl::ScramServer::ClientFirst first;
    if (server.client_first(client.client_first(), &first)) return false;
    EXPECT_EQ(first.username, user);
    auto final_message = client.client_final(server.server_first(*stored));
    if (!final_message) return false;
    std::string server_final;
    if (server.client_final(*final_message, &server_final)) return false;
    return client.verify_server_final(server_final);
  }

  store::testing::ScratchDir dir_;
  std::unique_ptr<PostgresTestServer> pg_;
  net::CpuPool cpu_{2, 100};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<AccountStore> accounts_;
};

TEST_P(AccountStoreTest, AddsListsRefusesDuplicatesAndRemoves) {
  ASSERT_TRUE(add("alice", kPassword).ok());
  ASSERT_TRUE(add("bob", "another one").ok());
  Status again = add("alice", "whatever");
  EXPECT_TRUE(again.is(StatusCode::exists)) << again.to_string();
  // Nodeprep folds case: ALICE is alice.
  EXPECT_TRUE(add("ALICE", "whatever").is(StatusCode::exists));
  auto names = list();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"alice", "bob"}));

  EXPECT_TRUE(remove("Alice").ok());
  EXPECT_TRUE(remove("alice").is(StatusCode::not_found));
  EXPECT_EQ(*list(), (std::vector<std::string>{"bob"}));
  EXPECT_TRUE(credentials("alice", Hash::sha256).status().is(StatusCode::not_found));
}

TEST_P(AccountStoreTest, RefusesUnknownHostsBadNamesAndEmptyPasswords) {
  EXPECT_TRUE(add("alice", kPassword, "other.org").is(StatusCode::invalid));
  EXPECT_TRUE(list("other.org").status().is(StatusCode::invalid));
  EXPECT_TRUE(add("al@ce", kPassword).is(StatusCode::invalid));
  EXPECT_TRUE(add("", kPassword).is(StatusCode::invalid));
  EXPECT_TRUE(add("alice", "").is(StatusCode::invalid));
  EXPECT_TRUE(list()->empty()) << "nothing was stored";
  // The host is nameprep'ed like the configured ones.
  EXPECT_TRUE(add("alice", kPassword, "EXAMPLE.org").ok());
  EXPECT_EQ(*list(), (std::vector<std::string>{"alice"}));
}

TEST_P(AccountStoreTest, StoredKeysCarryScramForEveryHash) {
  ASSERT_TRUE(add("alice", kPassword).ok());
  for (Hash hash : {Hash::sha1, Hash::sha256, Hash::sha512}) {
    SCOPED_TRACE(std::string(xmpp::sasl::hash_name(hash)));
    auto stored = credentials("alice", hash);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->hash, hash);
    EXPECT_EQ(stored->iterations, xmpp::sasl::kMinIterations);
    EXPECT_EQ(stored->salt.size(), 16u);
    EXPECT_TRUE(scram_login("alice", kPassword, hash));
    EXPECT_FALSE(scram_login("alice", "wrong password", hash));
  }
  // Each hash has its own salt.
  EXPECT_NE(credentials("alice", Hash::sha1)->salt, credentials("alice", Hash::sha256)->salt);
}

TEST_P(AccountStoreTest, SetPasswordReplacesTheKeys) {
  ASSERT_TRUE(add("alice", kPassword).ok());
  EXPECT_TRUE(passwd("nobody", "x").is(StatusCode::not_found));
  EXPECT_TRUE(passwd("alice", "").is(StatusCode::invalid));
  ASSERT_TRUE(passwd("alice", "the new one").ok());
  for (Hash hash : {Hash::sha1, Hash::sha256, Hash::sha512}) {
    EXPECT_FALSE(scram_login("alice", kPassword, hash));
    EXPECT_TRUE(scram_login("alice", "the new one", hash));
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM account_scram"), 3);
}

TEST_P(AccountStoreTest, CreatedOnIsTodaysDateOnly) {
  ASSERT_TRUE(add("alice", kPassword).ok());
  auto day = db_->run_sync<std::string>([](store::Connection& c) -> Result<std::string> {
    auto r = c.query("SELECT CAST(created_on AS TEXT) FROM accounts");
    if (!r.ok()) return r.status();
    return r->rows.at(0).text(0);
  });
  ASSERT_TRUE(day.ok()) << day.status().to_string();
  EXPECT_TRUE(std::regex_match(*day, std::regex(R"(\d{4}-\d{2}-\d{2})"))) << *day;
  using namespace std::chrono;
  year_month_day today{floor<days>(system_clock::now())};
  char expected[16];
  std::snprintf(expected, sizeof expected, "%04d-%02u-%02u", int(today.year()),
                unsigned(today.month()), unsigned(today.day()));
  EXPECT_EQ(*day, expected);
}

TEST_P(AccountStoreTest, DeletionCascadesToTheKeys) {
  ASSERT_TRUE(add("alice", kPassword).ok());
  ASSERT_TRUE(add("bob", kPassword).ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM account_scram"), 6);
  ASSERT_TRUE(remove("alice").ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM accounts"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM account_scram"), 3);
  EXPECT_TRUE(scram_login("bob", kPassword, Hash::sha256));
}

TEST_P(AccountStoreTest, ServiceChecksPlainPasswordsAndLooksUpKeys) {
  ASSERT_TRUE(add("alice", kPassword).ok());
  // The service answers on the executor it was given: here await()'s loop.
  auto check = [&](const std::string& user, const std::string& password) {
    std::optional<AccountsService> service;
    return store::await<Result<bool>>([&](auto ex, auto done) {
      service.emplace(*accounts_, cpu_, ex);
      service->check_password(kHost, user, password, done);
    });
  };
  EXPECT_TRUE(check("alice", kPassword).value_or(false));
  EXPECT_FALSE(check("alice", "wrong").value_or(true));
  EXPECT_FALSE(check("nobody", kPassword).value_or(true));
  EXPECT_FALSE(check("alice", kPassword + std::string("x")).value_or(true));
}

INSTANTIATE_TEST_SUITE_P(Engines, AccountStoreTest,
                         ::testing::Values(Engine::sqlite, Engine::postgres),
                         [](const auto& info) {
                           return info.param == Engine::sqlite ? "sqlite" : "postgres";
                         });

// The SQLite file and its WAL never hold the password (nor a SASLprep'ed
// copy, the same bytes here), whatever was added, re-keyed and removed.
TEST(AccountStoreFiles, HoldNoPasswordBytes) {
  store::testing::ScratchDir dir;
  net::CpuPool cpu(2, 100);
  store::DatabaseOptions o;
  o.target = dir.file("home.sqlite");
  o.version_table = kHomeVersionTable;
  auto db = store::Database::open(o, home_migrations());
  AccountStore accounts(*db, cpu, {kHost}, xmpp::sasl::kMinIterations);
  auto run = [&](auto call) { return store::await<Status>(call); };
  ASSERT_TRUE(run([&](auto ex, auto done) { accounts.add(ex, kHost, "alice", kPassword, done); }).ok());
  ASSERT_TRUE(run([&](auto ex, auto done) { accounts.add(ex, kHost, "bob", "bobs-secret-pw", done); }).ok());
  ASSERT_TRUE(run([&](auto ex, auto done) {
                accounts.set_password(ex, kHost, "bob", "bobs-newer-pw", done);
              }).ok());
  ASSERT_TRUE(run([&](auto ex, auto done) { accounts.remove(ex, kHost, "bob", done); }).ok());
  auto scan = [&](const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const char* secret : {kPassword, "bobs-secret-pw", "bobs-newer-pw"})
      EXPECT_EQ(bytes.find(secret), std::string::npos) << file << " holds " << secret;
    return bytes.size();
  };
  size_t with_wal = scan(dir.file("home.sqlite")) + scan(dir.file("home.sqlite-wal"));
  EXPECT_GT(with_wal, 0u);
  // The usernames are there, so the scan looks at the data itself.
  db.reset();
  std::ifstream in(dir.file("home.sqlite"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("alice"), std::string::npos);
  scan(dir.file("home.sqlite"));
}

}  // namespace
}  // namespace herald::home::accounts
