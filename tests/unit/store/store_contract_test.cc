// The push service's stores (tombstone_store.h, registration_store.h)
// asserted once and run against both engines of store::Database: real
// SQLite in a temp file and a real PostgreSQL started by each test
// (postgres_test_server.h). Each backend supplies only how to reach its
// database directly (to write the schema an older Herald left behind, and to
// look at what is stored); every assertion is shared. Calls go through the
// asynchronous interface and a private loop (store::await).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"
#include "store/push_schema.h"
#include "store/registration_store.h"
#include "store/tombstone_store.h"

namespace herald::store {
namespace {

using testing::PostgresTestServer;

TimePoint at(int64_t unix_seconds) {
  return TimePoint(std::chrono::seconds(unix_seconds));
}

// --- Backends -------------------------------------------------------------
// Each has: prepare() -> "" or why it cannot run (*skip: skipping allowed);
// options() for Database::open; sql(text) runs raw SQL; column(text) returns
// the first column as text; version_one_schema() is the schema version 1 of
// an earlier Herald with one tombstone (hash 01 02, until 4000000000);
// table_names_sql / column_names_sql(table).

class SqliteBackend {
 public:
  ~SqliteBackend() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string prepare(bool* skip) {
    *skip = false;
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-contract-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return "mkdtemp failed";
    dir_ = tmpl;
    path_ = (dir_ / "herald.sqlite").string();
    return "";
  }
  DatabaseOptions options() const {
    DatabaseOptions o;
    o.engine = Engine::sqlite;
    o.target = path_;
    return o;
  }

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
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

class PostgresBackend {
 public:
  std::string prepare(bool* skip) {
    server_ = std::make_unique<PostgresTestServer>();
    *skip = server_->binaries_missing() && !PostgresTestServer::required();
    return server_->available() ? "" : server_->why();
  }
  DatabaseOptions options() const {
    DatabaseOptions o;
    o.engine = Engine::postgres;
    o.target = server_->conninfo();
    return o;
  }

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
  PostgresTestServer& server() { return *server_; }

 private:
  std::unique_ptr<PostgresTestServer> server_;
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

  // Opens (or reopens) the database and migrates; fails the test if it cannot.
  bool open() {
    std::string error;
    bool ok = try_open(&error);
    EXPECT_TRUE(ok) << error;
    return ok;
  }
  bool try_open(std::string* error) {
    close();
    try {
      db_ = Database::open(backend_.options(), push_migrations());
    } catch (const std::runtime_error& e) {
      *error = e.what();
      return false;
    }
    tombstones_ = std::make_unique<TombstoneStore>(*db_);
    regs_ = std::make_unique<RegistrationStore>(*db_);
    return true;
  }
  void close() {
    regs_.reset();
    tombstones_.reset();
    db_.reset();
  }
  int schema_version() { return db_->schema_version(); }

  // Each store call, waited for.
  Result<std::vector<Tombstone>> load_all() {
    return await<Result<std::vector<Tombstone>>>(
        [&](auto ex, auto done) { tombstones_->load_all(ex, done); });
  }
  Result<size_t> apply(std::vector<TombstoneChange> changes) {
    return await<Result<size_t>>(
        [&](auto ex, auto done) { tombstones_->apply(ex, std::move(changes), done); });
  }
  Result<size_t> put(const std::string& hash, TimePoint until) { return apply({{hash, until}}); }
  Result<size_t> erase(const std::string& hash) { return apply({{hash, std::nullopt}}); }
  Result<size_t> purge_expired(TimePoint now) {
    return await<Result<size_t>>(
        [&](auto ex, auto done) { tombstones_->purge_expired(ex, now, done); });
  }
  Result<Registration> find(const std::string& node) {
    return await<Result<Registration>>([&](auto ex, auto done) { regs_->find(ex, node, done); });
  }
  StatusCode found(const std::string& node) { return find(node).status().code(); }
  Status insert(Registration r) {
    return await<Status>([&](auto ex, auto done) { regs_->insert(ex, std::move(r), done); });
  }
  Status renew(const std::string& node, const std::string& module, const std::string& token,
               const std::string& hash, TimePoint now) {
    return await<Status>(
        [&](auto ex, auto done) { regs_->renew(ex, node, module, token, hash, now, done); });
  }
  Status remove(const std::string& node) {
    return await<Status>([&](auto ex, auto done) { regs_->remove(ex, node, done); });
  }
  Result<std::vector<Registration>> find_by_token(const std::string& token) {
    return await<Result<std::vector<Registration>>>(
        [&](auto ex, auto done) { regs_->find_by_token(ex, token, done); });
  }
  Result<size_t> erase_by_token(const std::string& token) {
    return await<Result<size_t>>(
        [&](auto ex, auto done) { regs_->erase_by_token(ex, token, done); });
  }
  Result<size_t> erase_dead_token(const std::string& module, const std::string& token,
                                  std::optional<TimePoint> since) {
    return await<Result<size_t>>(
        [&](auto ex, auto done) { regs_->erase_dead_token(ex, module, token, since, done); });
  }
  Result<size_t> expire_renewed_before(TimePoint cutoff) {
    return await<Result<size_t>>(
        [&](auto ex, auto done) { regs_->expire_renewed_before(ex, cutoff, done); });
  }
  Status record_outcomes(std::vector<PushOutcome> outcomes) {
    return await<Status>(
        [&](auto ex, auto done) { regs_->record_outcomes(ex, std::move(outcomes), done); });
  }

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
  std::unique_ptr<Database> db_;
  std::unique_ptr<TombstoneStore> tombstones_;
  std::unique_ptr<RegistrationStore> regs_;
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
  EXPECT_EQ(kPushSchemaVersion, 2);
  EXPECT_EQ(this->schema_version(), kPushSchemaVersion);
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

// A database an earlier Herald left at schema 1 (tombstones only) opens,
// keeps its tombstone and gains registrations.
TYPED_TEST(StoreContractTest, MigratesFromVersionOneKeepingTombstones) {
  ASSERT_TRUE(this->backend_.sql(TypeParam::version_one_schema()));
  ASSERT_TRUE(this->open());
  EXPECT_EQ(this->schema_version(), 2);
  auto all = this->load_all();
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].token_hash, std::string("\x01\x02", 2));
  EXPECT_EQ((*all)[0].until, at(4000000000));
  EXPECT_TRUE(this->insert(this->reg("n1", "aa", 100)).ok());
  EXPECT_EQ(this->found("n1"), StatusCode::ok);
  EXPECT_EQ(this->backend_.column("SELECT version FROM schema_version"),
            (std::vector<std::string>{"2"}));
  // Migrating again (the next start) changes nothing.
  ASSERT_TRUE(this->open());
  EXPECT_EQ(this->schema_version(), 2);
  EXPECT_EQ(this->load_all()->size(), 1u);
  EXPECT_EQ(this->found("n1"), StatusCode::ok);
}

TYPED_TEST(StoreContractTest, RefusesNewerSchema) {
  ASSERT_TRUE(this->open());
  this->close();
  ASSERT_TRUE(this->backend_.sql("UPDATE schema_version SET version = 999"));
  std::string error;
  EXPECT_FALSE(this->try_open(&error));
  EXPECT_NE(error.find("999"), std::string::npos) << error;
}

// --- Tombstones -----------------------------------------------------------

TYPED_TEST(StoreContractTest, TombstonesSurviveReopen) {
  std::string hash_a(32, '\x01'), hash_b(32, '\x00');
  hash_b[5] = 'b';  // embedded NULs must survive as BLOB/BYTEA
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->put(hash_a, at(2000000000)).ok());
  ASSERT_TRUE(this->put(hash_b, at(2000000100)).ok());
  ASSERT_TRUE(this->open());
  auto all = this->load_all();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  std::map<std::string, TimePoint> by_hash;
  for (auto& t : *all) by_hash[t.token_hash] = t.until;
  EXPECT_EQ(by_hash.at(hash_a), at(2000000000));
  EXPECT_EQ(by_hash.at(hash_b), at(2000000100));
}

TYPED_TEST(StoreContractTest, TombstonePutReplacesAndEraseRemoves) {
  ASSERT_TRUE(this->open());
  std::string hash(32, 'h');
  ASSERT_TRUE(this->put(hash, at(100)).ok());
  ASSERT_TRUE(this->put(hash, at(200)).ok());
  auto all = this->load_all();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].until, at(200));
  EXPECT_EQ(this->erase(hash).value_or(9), 1u);
  EXPECT_EQ(this->erase(hash).value_or(9), 0u) << "erasing a missing one changes nothing";
  EXPECT_TRUE(this->load_all()->empty());
}

TYPED_TEST(StoreContractTest, TombstoneChangesApplyInOrderAllOrNothing) {
  ASSERT_TRUE(this->open());
  std::string a(32, 'a'), b(32, 'b');
  // A put then an erase of one hash ends erased; a later put wins.
  auto n = this->apply({{a, at(100)}, {a, std::nullopt}, {b, at(100)}, {b, at(300)}});
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  auto all = this->load_all();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].token_hash, b);
  EXPECT_EQ((*all)[0].until, at(300));
}

TYPED_TEST(StoreContractTest, TombstonePurgeRemovesOnlyExpired) {
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->apply({{std::string(32, 'a'), at(100)},
                           {std::string(32, 'b'), at(200)},
                           {std::string(32, 'c'), at(300)}})
                  .ok());
  EXPECT_EQ(this->purge_expired(at(200)).value_or(0), 2u) << "at or before now";
  auto all = this->load_all();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].token_hash, std::string(32, 'c'));
}

// --- Registrations --------------------------------------------------------

TYPED_TEST(StoreContractTest, InsertFindAndRefuseSecondInsert) {
  ASSERT_TRUE(this->open());
  EXPECT_TRUE(this->insert(this->reg("n1", "aa", 5000)).ok());
  EXPECT_EQ(this->insert(this->reg("n1", "bb", 6000)).code(), StatusCode::exists);
  auto out = this->find("n1");
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(out->node, "n1");
  EXPECT_EQ(out->token, "aa") << "a second insert must not replace the first";
  EXPECT_EQ(out->module, "ios");
  EXPECT_EQ(out->secret_hash, this->reg("x", "", 0).secret_hash);
  EXPECT_EQ(out->created, at(1000));
  EXPECT_EQ(out->renewed, at(5000));
  EXPECT_FALSE(out->last_success);
  EXPECT_FALSE(out->last_error);
  EXPECT_EQ(this->found("n2"), StatusCode::not_found);
}

TYPED_TEST(StoreContractTest, RegistrationsSurviveReopen) {
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->insert(this->reg("n1", "aa", 5000)).ok());
  ASSERT_TRUE(this->record_outcomes({{"n1", true, at(6000)}}).ok());
  ASSERT_TRUE(this->open());
  auto out = this->find("n1");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->token, "aa");
  EXPECT_EQ(out->last_success, at(6000));
}

TYPED_TEST(StoreContractTest, RenewOnlyWithSameModuleAndToken) {
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->insert(this->reg("n1", "aa", 5000)).ok());
  std::string new_hash(32, 'x');
  EXPECT_EQ(this->renew("n1", "ios", "bb", new_hash, at(6000)).code(), StatusCode::not_found);
  EXPECT_EQ(this->renew("n1", "android", "aa", new_hash, at(6000)).code(), StatusCode::not_found);
  EXPECT_EQ(this->renew("nope", "ios", "aa", new_hash, at(6000)).code(), StatusCode::not_found);
  auto out = this->find("n1");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->secret_hash, this->reg("x", "", 0).secret_hash) << "refused renewals change nothing";
  EXPECT_EQ(out->renewed, at(5000));
  EXPECT_TRUE(this->renew("n1", "ios", "aa", new_hash, at(6000)).ok());
  out = this->find("n1");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->secret_hash, new_hash);
  EXPECT_EQ(out->renewed, at(6000));
  EXPECT_EQ(out->created, at(1000));
}

TYPED_TEST(StoreContractTest, OutcomesBatchedAndNeverBackwards) {
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->insert(this->reg("n1", "aa", 100)).ok());
  ASSERT_TRUE(this->record_outcomes({{"n1", true, at(300)},
                                     {"n1", true, at(200)},
                                     {"n1", false, at(250)},
                                     {"gone", true, at(300)}})
                  .ok());
  auto out = this->find("n1");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->last_success && out->last_error);
  EXPECT_EQ(*out->last_success, at(300));
  EXPECT_EQ(*out->last_error, at(250));
  // A later batch with older times (a slow node) does not move them back.
  ASSERT_TRUE(this->record_outcomes({{"n1", true, at(150)}, {"n1", false, at(120)}}).ok());
  out = this->find("n1");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->last_success, at(300));
  EXPECT_EQ(out->last_error, at(250));
  EXPECT_EQ(this->found("gone"), StatusCode::not_found) << "outcomes never create rows";
}

TYPED_TEST(StoreContractTest, DeadToken410OlderThanRenewalKeepsNewerDeletes) {
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->insert(this->reg("n1", "aa", 6000)).ok());
  ASSERT_TRUE(this->insert(this->reg("n2", "aa", 7000)).ok());
  ASSERT_TRUE(this->insert(this->reg("n3", "bb", 6000)).ok());
  // Apple's timestamp 5000 is older than both renewals: the app got the token
  // again since, keep both.
  EXPECT_EQ(this->erase_dead_token("ios", "aa", at(5000)).value_or(9), 0u);
  EXPECT_EQ(this->found("n1"), StatusCode::ok);
  // 6500: newer than n1's renewal (goes), older than n2's (stays).
  EXPECT_EQ(this->erase_dead_token("ios", "aa", at(6500)).value_or(9), 1u);
  EXPECT_EQ(this->found("n1"), StatusCode::not_found);
  EXPECT_EQ(this->found("n2"), StatusCode::ok);
  // Another module's token with the same text is not this one.
  EXPECT_EQ(this->erase_dead_token("android", "aa", std::nullopt).value_or(9), 0u);
  // No timestamp (BadDeviceToken, FCM UNREGISTERED): all of them go.
  EXPECT_EQ(this->erase_dead_token("ios", "aa", std::nullopt).value_or(9), 1u);
  EXPECT_EQ(this->found("n2"), StatusCode::not_found);
  EXPECT_EQ(this->found("n3"), StatusCode::ok) << "other tokens untouched";
}

TYPED_TEST(StoreContractTest, ExpiryDeletesOnlyStaleOnes) {
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->insert(this->reg("old", "aa", 100)).ok());
  ASSERT_TRUE(this->insert(this->reg("edge", "bb", 300)).ok());
  ASSERT_TRUE(this->insert(this->reg("new", "cc", 500)).ok());
  ASSERT_TRUE(this->insert(this->reg("renewed", "dd", 100)).ok());
  ASSERT_TRUE(this->renew("renewed", "ios", "dd", std::string(32, 'r'), at(400)).ok());
  EXPECT_EQ(this->expire_renewed_before(at(300)).value_or(9), 1u);
  EXPECT_EQ(this->found("old"), StatusCode::not_found);
  EXPECT_EQ(this->found("edge"), StatusCode::ok) << "renewed at the cutoff is not before it";
  EXPECT_EQ(this->found("new"), StatusCode::ok);
  EXPECT_EQ(this->found("renewed"), StatusCode::ok);
}

TYPED_TEST(StoreContractTest, FindAndEraseByTokenAndRemove) {
  ASSERT_TRUE(this->open());
  ASSERT_TRUE(this->insert(this->reg("n2", "aa", 100)).ok());
  ASSERT_TRUE(this->insert(this->reg("n1", "aa", 100)).ok());
  ASSERT_TRUE(this->insert(this->reg("n3", "bb", 100)).ok());
  auto by_token = this->find_by_token("aa");
  ASSERT_TRUE(by_token.ok());
  ASSERT_EQ(by_token->size(), 2u);
  EXPECT_EQ((*by_token)[0].node, "n1");
  EXPECT_EQ((*by_token)[1].node, "n2");
  EXPECT_TRUE(this->find_by_token("zz")->empty());
  EXPECT_TRUE(this->remove("n3").ok());
  EXPECT_EQ(this->remove("n3").code(), StatusCode::not_found);
  EXPECT_EQ(this->erase_by_token("aa").value_or(9), 2u);
  EXPECT_EQ(this->erase_by_token("aa").value_or(9), 0u);
  EXPECT_TRUE(this->find_by_token("aa")->empty());
  EXPECT_EQ(this->backend_.column("SELECT count(*) FROM registrations"),
            (std::vector<std::string>{"0"}));
}

// --- Engine-specific ------------------------------------------------------

// Several nodes starting at once against one PostgreSQL migrate it once
// (advisory lock), and see each other's writes.
TEST(PushStorePostgres, NodesStartingAtOnceMigrateOnce) {
  PostgresTestServer pg;
  HERALD_NEED_POSTGRES(pg);
  DatabaseOptions o;
  o.engine = Engine::postgres;
  o.target = pg.conninfo();
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Database>> dbs(kNodes);
  std::vector<std::string> errors(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i)
    threads.emplace_back([&, i] {
      try {
        dbs[size_t(i)] = Database::open(o, push_migrations());
      } catch (const std::exception& e) {
        errors[size_t(i)] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(dbs[size_t(i)]) << errors[size_t(i)];
    EXPECT_EQ(dbs[size_t(i)]->schema_version(), 2);
  }
  TombstoneStore first(*dbs[0]), second(*dbs[1]);
  auto put = await<Result<size_t>>([&](auto ex, auto done) {
    first.apply(ex, {{std::string(32, 't'), at(2000000000)}}, done);
  });
  ASSERT_TRUE(put.ok()) << put.status().to_string();
  auto seen = await<Result<std::vector<Tombstone>>>(
      [&](auto ex, auto done) { second.load_all(ex, done); });
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->size(), 1u);
}

TEST(PushStorePostgres, AnUnreachableServerIsAnErrorWithoutThePassword) {
  DatabaseOptions o;
  o.engine = Engine::postgres;
  o.target = "host=127.0.0.1 port=1 user=x password=hunter2";
  o.connect_timeout = std::chrono::milliseconds(2000);
  try {
    Database::open(o, push_migrations());
    FAIL() << "opened an unreachable server";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("cannot open the PostgreSQL database"), std::string::npos) << what;
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  }
}

// While PostgreSQL is stopped a call answers a failure, never "nothing
// found"; once it is back the next calls succeed.
TEST(PushStorePostgres, AStoppedServerIsAFailureNotNothingFound) {
  PostgresTestServer pg;
  HERALD_NEED_POSTGRES(pg);
  DatabaseOptions o;
  o.engine = Engine::postgres;
  o.target = pg.conninfo();
  o.retry_interval = std::chrono::milliseconds(200);
  auto db = Database::open(o, push_migrations());
  RegistrationStore regs(*db);
  TombstoneStore tombstones(*db);
  auto find = [&] {
    return await<Result<Registration>>([&](auto ex, auto done) { regs.find(ex, "n", done); });
  };
  EXPECT_EQ(find().status().code(), StatusCode::not_found);
  ASSERT_TRUE(pg.stop());
  auto down = find();
  EXPECT_TRUE(down.status().transient()) << down.status().to_string();
  auto by_token = await<Result<std::vector<Registration>>>(
      [&](auto ex, auto done) { regs.find_by_token(ex, "t", done); });
  EXPECT_TRUE(by_token.status().transient()) << "an empty list would read as nothing held";
  auto all = await<Result<std::vector<Tombstone>>>(
      [&](auto ex, auto done) { tombstones.load_all(ex, done); });
  EXPECT_TRUE(all.status().transient());
  ASSERT_TRUE(pg.start());
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // past the retry interval
  auto back = find();
  EXPECT_EQ(back.status().code(), StatusCode::not_found) << back.status().to_string();
}

// `herald serve` and an operator's command on one SQLite file: a tombstone
// the command erased is gone for the server too, on every worker.
TEST(PushStoreSqlite, AnotherProcessesEraseIsSeenAtOnce) {
  SqliteBackend b;
  bool skip = false;
  ASSERT_EQ(b.prepare(&skip), "");
  auto server_db = Database::open(b.options(), push_migrations());
  TombstoneStore server(*server_db);
  auto apply = [](TombstoneStore& store, std::vector<TombstoneChange> changes) {
    return await<Result<size_t>>(
        [&](auto ex, auto done) { store.apply(ex, std::move(changes), done); });
  };
  std::string h(32, 'h');
  for (int i = 0; i < 4; ++i) ASSERT_EQ(apply(server, {{h, at(4000000000)}}).value_or(9), 1u);
  {
    auto command_db = Database::open(b.options(), push_migrations());
    TombstoneStore command(*command_db);
    ASSERT_EQ(apply(command, {{h, std::nullopt}}).value_or(9), 1u);
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(apply(server, {{h, std::nullopt}}).value_or(9), 0u) << i;
}

TEST(PushStoreSqlite, TheFileIsInWalModeAndOwnerOnly) {
  SqliteBackend b;
  bool skip = false;
  ASSERT_EQ(b.prepare(&skip), "");
  DatabaseOptions o = b.options();
  auto db = Database::open(o, push_migrations());
  EXPECT_EQ(b.column("PRAGMA journal_mode"), (std::vector<std::string>{"wal"}));
  EXPECT_EQ(std::filesystem::status(b.path()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace
}  // namespace herald::store
