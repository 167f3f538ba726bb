// The store contract (tombstone_store.h, registration_store.h) asserted once
// and run against every backend: real SQLite in a temp file and a real
// PostgreSQL started by each test (postgres_test_server.h). Each backend
// supplies only how to open, reopen and poke at its database directly (to
// write the schema an older Herald left behind); every assertion is shared.
// Backend-specific behaviour (WAL mode, PostgreSQL outages, nodes migrating
// at once) stays in sqlite_store_test.cc and postgres_store_test.cc.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "postgres_test_server.h"
#include "store/postgres_store.h"
#include "store/sqlite_registration_store.h"
#include "store/sqlite_store.h"

namespace herald::store {
namespace {

using testing::PostgresTestServer;

TimePoint at(int64_t unix_seconds) {
  return TimePoint(std::chrono::seconds(unix_seconds));
}

// --- Backends -------------------------------------------------------------
// Each has: prepare() -> "" or why it cannot run (*skip: skipping allowed);
// open(&error) (re)opens and migrates; close(); tombstones(), registrations();
// schema_version(); sql(text) runs raw SQL; column(text) returns the first
// column as text; version_one_schema() is the v1 schema with one tombstone
// (hash 01 02, until 4000000000); table_names_sql / column_names_sql(table).

class SqliteBackend {
 public:
  ~SqliteBackend() {
    close();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string prepare(bool* skip) {
    *skip = false;
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-contract-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return "mkdtemp failed";
    dir_ = tmpl;
    path_ = (dir_ / "herald.db").string();
    return "";
  }
  bool open(std::string* error) {
    close();
    db_ = SqliteStore::open(path_, error);
    if (!db_) return false;
    regs_ = std::make_unique<SqliteRegistrationStore>(*db_);
    return true;
  }
  void close() {
    regs_.reset();
    db_.reset();
  }
  TombstoneStore* tombstones() { return db_.get(); }
  RegistrationStore* registrations() { return regs_.get(); }
  int schema_version() { return db_->schema_version(); }
  static int latest_schema_version() { return SqliteStore::latest_schema_version(); }

  bool sql(const std::string& text) {
    sqlite3* raw = nullptr;
    bool ok = sqlite3_open(path_.c_str(), &raw) == SQLITE_OK &&
              sqlite3_exec(raw, text.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(raw);
    return ok;
  }
  std::vector<std::string> column(const std::string& text) {
    std::vector<std::string> out;
    sqlite3* raw = nullptr;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_open(path_.c_str(), &raw) == SQLITE_OK &&
        sqlite3_prepare_v2(raw, text.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW)
        out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    return out;
  }
  static std::string version_one_schema() {
    return "CREATE TABLE schema_version (version INTEGER NOT NULL);"
           "INSERT INTO schema_version VALUES (1);"
           "CREATE TABLE tombstones (token_hash BLOB PRIMARY KEY NOT NULL,"
           " until INTEGER NOT NULL) WITHOUT ROWID;"
           "INSERT INTO tombstones VALUES (x'0102', 4000000000);";
  }
  static std::string table_names_sql() {
    return "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name";
  }
  static std::string column_names_sql(const std::string& table) {
    return "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid";
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> db_;
  std::unique_ptr<SqliteRegistrationStore> regs_;
};

class PostgresBackend {
 public:
  ~PostgresBackend() { close(); }
  std::string prepare(bool* skip) {
    server_ = std::make_unique<PostgresTestServer>();
    *skip = server_->binaries_missing() && !PostgresTestServer::required();
    return server_->available() ? "" : server_->why();
  }
  bool open(std::string* error) {
    close();
    store_ = PostgresStore::open(server_->conninfo(), error);
    return store_ != nullptr;
  }
  void close() { store_.reset(); }
  TombstoneStore* tombstones() { return store_.get(); }
  RegistrationStore* registrations() { return store_.get(); }
  int schema_version() { return store_->schema_version(); }
  static int latest_schema_version() { return PostgresStore::latest_schema_version(); }

  bool sql(const std::string& text) {
    PGconn* c = PQconnectdb(server_->conninfo().c_str());
    PGresult* r = PQexec(c, text.c_str());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    PQfinish(c);
    return ok;
  }
  std::vector<std::string> column(const std::string& text) {
    std::vector<std::string> out;
    PGconn* c = PQconnectdb(server_->conninfo().c_str());
    PGresult* r = PQexec(c, text.c_str());
    for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
    PQclear(r);
    PQfinish(c);
    return out;
  }
  static std::string version_one_schema() {
    return "CREATE TABLE schema_version (version INTEGER NOT NULL);"
           "INSERT INTO schema_version VALUES (1);"
           "CREATE TABLE tombstones (token_hash BYTEA PRIMARY KEY, until BIGINT NOT NULL);"
           "INSERT INTO tombstones VALUES ('\\x0102'::bytea, 4000000000)";
  }
  static std::string table_names_sql() {
    return "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
           "ORDER BY table_name";
  }
  static std::string column_names_sql(const std::string& table) {
    return "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
           "AND table_name = '" +
           table + "' ORDER BY ordinal_position";
  }

 private:
  std::unique_ptr<PostgresTestServer> server_;
  std::unique_ptr<PostgresStore> store_;
};

// --- Fixture --------------------------------------------------------------

template <typename Backend>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bool skip = false;
    std::string why = backend_.prepare(&skip);
    if (!why.empty()) {
      if (skip) GTEST_SKIP() << why;
      FAIL() << why;
    }
  }

  // Opens (or reopens) the store on the same database; fails the test if it
  // cannot.
  bool open() {
    std::string error;
    bool ok = backend_.open(&error);
    EXPECT_TRUE(ok) << error;
    return ok;
  }
  TombstoneStore& tombstones() { return *backend_.tombstones(); }
  RegistrationStore& regs() { return *backend_.registrations(); }

  static Registration reg(std::string node, std::string token, int64_t renewed) {
    Registration r;
    r.node = std::move(node);
    r.secret_hash = std::string(32, '\x00');  // embedded NULs must survive
    r.secret_hash[3] = 's';
    r.module = "ios";
    r.token = std::move(token);
    r.created = at(1000);
    r.renewed = at(renewed);
    return r;
  }

  Backend backend_;
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;

class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, SqliteBackend>) return "Sqlite";
    return "Postgres";
  }
};

TYPED_TEST_SUITE(StoreContractTest, Backends, BackendNames);

// --- Schema and migrations ------------------------------------------------

TYPED_TEST(StoreContractTest, EmptyDatabaseGetsCurrentSchemaAndOnlyPrivacyColumns) {
  ASSERT_TRUE(this->open());
  EXPECT_EQ(TypeParam::latest_schema_version(), 2);
  EXPECT_EQ(this->backend_.schema_version(), TypeParam::latest_schema_version());
  auto& b = this->backend_;
  EXPECT_EQ(b.column(TypeParam::table_names_sql()),
            (std::vector<std::string>{"registrations", "schema_version", "tombstones"}));
  EXPECT_EQ(b.column(TypeParam::column_names_sql("tombstones")),
            (std::vector<std::string>{"token_hash", "until"}));
  EXPECT_EQ(b.column(TypeParam::column_names_sql("registrations")),
            (std::vector<std::string>{"node", "secret_hash", "module", "token", "created",
                                      "renewed", "last_success", "last_error"}));
  EXPECT_EQ(b.column("SELECT count(*) FROM schema_version"), (std::vector<std::string>{"1"}));
}

TYPED_TEST(StoreContractTest, MigratesFromVersionOneKeepingTombstones) {
  ASSERT_TRUE(this->backend_.sql(TypeParam::version_one_schema()));
  ASSERT_TRUE(this->open());
  EXPECT_EQ(this->backend_.schema_version(), 2);
  auto all = this->tombstones().load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].token_hash, std::string("\x01\x02", 2));
  EXPECT_EQ(all[0].until, at(4000000000));
  EXPECT_EQ(this->regs().insert(this->reg("n1", "aa", 100)), StoreStatus::kOk);
  EXPECT_EQ(this->regs().find("n1", nullptr), StoreStatus::kOk);
  EXPECT_EQ(this->backend_.column("SELECT version FROM schema_version"),
            (std::vector<std::string>{"2"}));
  // Migrating again (the next start) changes nothing.
  ASSERT_TRUE(this->open());
  EXPECT_EQ(this->backend_.schema_version(), 2);
  EXPECT_EQ(this->tombstones().load_all().size(), 1u);
  EXPECT_EQ(this->regs().find("n1", nullptr), StoreStatus::kOk);
}

TYPED_TEST(StoreContractTest, RefusesNewerSchema) {
  ASSERT_TRUE(this->open());
  this->backend_.close();
  ASSERT_TRUE(this->backend_.sql("UPDATE schema_version SET version = 999"));
  std::string error;
  EXPECT_FALSE(this->backend_.open(&error));
  EXPECT_NE(error.find("999"), std::string::npos) << error;
}

// --- Tombstones -----------------------------------------------------------

TYPED_TEST(StoreContractTest, TombstonesSurviveReopen) {
  std::string hash_a(32, '\x01'), hash_b(32, '\x00');
  hash_b[5] = 'b';  // embedded NULs must survive as BLOB/BYTEA
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->tombstones().put(hash_a, at(2000000000)));
  ASSERT_TRUE(this->tombstones().put(hash_b, at(2000000100)));
  ASSERT_TRUE(this->open());
  auto all = this->tombstones().load_all();
  ASSERT_EQ(all.size(), 2u);
  std::map<std::string, TimePoint> by_hash;
  for (auto& t : all) by_hash[t.token_hash] = t.until;
  EXPECT_EQ(by_hash.at(hash_a), at(2000000000));
  EXPECT_EQ(by_hash.at(hash_b), at(2000000100));
}

TYPED_TEST(StoreContractTest, TombstonePutReplacesAndEraseRemoves) {
  ASSERT_TRUE(this->open());
  std::string hash(32, 'h');
  ASSERT_TRUE(this->tombstones().put(hash, at(100)));
  ASSERT_TRUE(this->tombstones().put(hash, at(200)));
  auto all = this->tombstones().load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].until, at(200));
  EXPECT_TRUE(this->tombstones().erase(hash));
  EXPECT_TRUE(this->tombstones().load_all().empty());
}

TYPED_TEST(StoreContractTest, TombstonePurgeRemovesOnlyExpired) {
  ASSERT_TRUE(this->open());
  this->tombstones().put(std::string(32, 'a'), at(100));
  this->tombstones().put(std::string(32, 'b'), at(200));
  this->tombstones().put(std::string(32, 'c'), at(300));
  EXPECT_EQ(this->tombstones().purge_expired(at(200)), 2u) << "at or before now";
  auto all = this->tombstones().load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].token_hash, std::string(32, 'c'));
}

// --- Registrations --------------------------------------------------------

TYPED_TEST(StoreContractTest, InsertFindAndRefuseSecondInsert) {
  ASSERT_TRUE(this->open());
  auto& s = this->regs();
  EXPECT_EQ(s.insert(this->reg("n1", "aa", 5000)), StoreStatus::kOk);
  EXPECT_EQ(s.insert(this->reg("n1", "bb", 6000)), StoreStatus::kExists);
  Registration out;
  ASSERT_EQ(s.find("n1", &out), StoreStatus::kOk);
  EXPECT_EQ(out.node, "n1");
  EXPECT_EQ(out.token, "aa") << "a second insert must not replace the first";
  EXPECT_EQ(out.module, "ios");
  EXPECT_EQ(out.secret_hash, this->reg("x", "", 0).secret_hash);
  EXPECT_EQ(out.created, at(1000));
  EXPECT_EQ(out.renewed, at(5000));
  EXPECT_FALSE(out.last_success);
  EXPECT_FALSE(out.last_error);
  EXPECT_EQ(s.find("n2", &out), StoreStatus::kNotFound);
}

TYPED_TEST(StoreContractTest, RegistrationsSurviveReopen) {
  ASSERT_TRUE(this->open());
  ASSERT_EQ(this->regs().insert(this->reg("n1", "aa", 5000)), StoreStatus::kOk);
  ASSERT_TRUE(this->regs().record_outcomes({{"n1", true, at(6000)}}));
  ASSERT_TRUE(this->open());
  Registration out;
  ASSERT_EQ(this->regs().find("n1", &out), StoreStatus::kOk);
  EXPECT_EQ(out.token, "aa");
  EXPECT_EQ(out.last_success, at(6000));
}

TYPED_TEST(StoreContractTest, RenewOnlyWithSameModuleAndToken) {
  ASSERT_TRUE(this->open());
  auto& s = this->regs();
  s.insert(this->reg("n1", "aa", 5000));
  std::string new_hash(32, 'x');
  EXPECT_EQ(s.renew("n1", "ios", "bb", new_hash, at(6000)), StoreStatus::kNotFound);
  EXPECT_EQ(s.renew("n1", "android", "aa", new_hash, at(6000)), StoreStatus::kNotFound);
  EXPECT_EQ(s.renew("nope", "ios", "aa", new_hash, at(6000)), StoreStatus::kNotFound);
  Registration out;
  ASSERT_EQ(s.find("n1", &out), StoreStatus::kOk);
  EXPECT_EQ(out.secret_hash, this->reg("x", "", 0).secret_hash)
      << "refused renewals change nothing";
  EXPECT_EQ(out.renewed, at(5000));
  EXPECT_EQ(s.renew("n1", "ios", "aa", new_hash, at(6000)), StoreStatus::kOk);
  ASSERT_EQ(s.find("n1", &out), StoreStatus::kOk);
  EXPECT_EQ(out.secret_hash, new_hash);
  EXPECT_EQ(out.renewed, at(6000));
  EXPECT_EQ(out.created, at(1000));
}

TYPED_TEST(StoreContractTest, OutcomesBatchedAndNeverBackwards) {
  ASSERT_TRUE(this->open());
  auto& s = this->regs();
  s.insert(this->reg("n1", "aa", 100));
  ASSERT_TRUE(s.record_outcomes({{"n1", true, at(300)},
                                 {"n1", true, at(200)},
                                 {"n1", false, at(250)},
                                 {"gone", true, at(300)}}));
  Registration out;
  ASSERT_EQ(s.find("n1", &out), StoreStatus::kOk);
  ASSERT_TRUE(out.last_success && out.last_error);
  EXPECT_EQ(*out.last_success, at(300));
  EXPECT_EQ(*out.last_error, at(250));
  // A later batch with older times (a slow node) does not move them back.
  ASSERT_TRUE(s.record_outcomes({{"n1", true, at(150)}, {"n1", false, at(120)}}));
  ASSERT_EQ(s.find("n1", &out), StoreStatus::kOk);
  EXPECT_EQ(out.last_success, at(300));
  EXPECT_EQ(out.last_error, at(250));
  EXPECT_EQ(s.find("gone", nullptr), StoreStatus::kNotFound) << "outcomes never create rows";
}

TYPED_TEST(StoreContractTest, DeadToken410OlderThanRenewalKeepsNewerDeletes) {
  ASSERT_TRUE(this->open());
  auto& s = this->regs();
  s.insert(this->reg("n1", "aa", 6000));
  s.insert(this->reg("n2", "aa", 7000));
  s.insert(this->reg("n3", "bb", 6000));
  // Apple's timestamp 5000 is older than both renewals: the app got the token
  // again since, keep both.
  EXPECT_EQ(s.erase_dead_token("ios", "aa", at(5000)), 0u);
  EXPECT_EQ(s.find("n1", nullptr), StoreStatus::kOk);
  // 6500: newer than n1's renewal (goes), older than n2's (stays).
  EXPECT_EQ(s.erase_dead_token("ios", "aa", at(6500)), 1u);
  EXPECT_EQ(s.find("n1", nullptr), StoreStatus::kNotFound);
  EXPECT_EQ(s.find("n2", nullptr), StoreStatus::kOk);
  // Another module's token with the same text is not this one.
  EXPECT_EQ(s.erase_dead_token("android", "aa", std::nullopt), 0u);
  // No timestamp (BadDeviceToken, FCM UNREGISTERED): all of them go.
  EXPECT_EQ(s.erase_dead_token("ios", "aa", std::nullopt), 1u);
  EXPECT_EQ(s.find("n2", nullptr), StoreStatus::kNotFound);
  EXPECT_EQ(s.find("n3", nullptr), StoreStatus::kOk) << "other tokens untouched";
}

TYPED_TEST(StoreContractTest, ExpiryDeletesOnlyStaleOnes) {
  ASSERT_TRUE(this->open());
  auto& s = this->regs();
  s.insert(this->reg("old", "aa", 100));
  s.insert(this->reg("edge", "bb", 300));
  s.insert(this->reg("new", "cc", 500));
  s.insert(this->reg("renewed", "dd", 100));
  ASSERT_EQ(s.renew("renewed", "ios", "dd", std::string(32, 'r'), at(400)), StoreStatus::kOk);
  EXPECT_EQ(s.expire_renewed_before(at(300)), 1u);
  EXPECT_EQ(s.find("old", nullptr), StoreStatus::kNotFound);
  EXPECT_EQ(s.find("edge", nullptr), StoreStatus::kOk) << "renewed at the cutoff is not before it";
  EXPECT_EQ(s.find("new", nullptr), StoreStatus::kOk);
  EXPECT_EQ(s.find("renewed", nullptr), StoreStatus::kOk);
}

TYPED_TEST(StoreContractTest, FindAndEraseByTokenAndRemove) {
  ASSERT_TRUE(this->open());
  auto& s = this->regs();
  s.insert(this->reg("n2", "aa", 100));
  s.insert(this->reg("n1", "aa", 100));
  s.insert(this->reg("n3", "bb", 100));
  auto by_token = s.find_by_token("aa");
  ASSERT_EQ(by_token.size(), 2u);
  EXPECT_EQ(by_token[0].node, "n1");
  EXPECT_EQ(by_token[1].node, "n2");
  EXPECT_TRUE(s.find_by_token("zz").empty());
  EXPECT_EQ(s.remove("n3"), StoreStatus::kOk);
  EXPECT_EQ(s.remove("n3"), StoreStatus::kNotFound);
  EXPECT_EQ(s.erase_by_token("aa"), 2u);
  EXPECT_EQ(s.erase_by_token("aa"), 0u);
  EXPECT_TRUE(s.find_by_token("aa").empty());
  EXPECT_EQ(this->backend_.column("SELECT count(*) FROM registrations"),
            (std::vector<std::string>{"0"}));
}

}  // namespace
}  // namespace herald::store
