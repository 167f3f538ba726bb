// PostgresStore against a real PostgreSQL started by each test (see
// postgres_test_server.h): the same assertions as the SQLite store's tests
// for tombstones and registrations, migrations from an empty database and
// from version 1, two nodes starting at once, and a server restart.
#include "store/postgres_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <map>
#include <thread>

#include "postgres_test_server.h"

namespace herald::store {
namespace {

using std::chrono::system_clock;
using testing::PostgresTestServer;

system_clock::time_point at(int64_t unix_seconds) {
  return system_clock::time_point(std::chrono::seconds(unix_seconds));
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<PostgresTestServer>();
    if (!server_->available()) {
      if (server_->binaries_missing() && !PostgresTestServer::required())
        GTEST_SKIP() << server_->why();
      FAIL() << server_->why();
    }
  }

  std::unique_ptr<PostgresStore> open(PostgresOptions options = {}) {
    std::string error;
    auto store = PostgresStore::open(server_->conninfo(), &error, options);
    EXPECT_TRUE(store) << error;
    return store;
  }

  // Runs SQL directly (as an operator or an older Herald would).
  void sql(const std::string& text) {
    PGconn* c = PQconnectdb(server_->conninfo().c_str());
    ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PGresult* r = PQexec(c, text.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
        << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
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

  Registration reg(std::string node, std::string token, int64_t renewed) {
    Registration r;
    r.node = std::move(node);
    r.secret_hash = std::string(32, '\x00');
    r.secret_hash[3] = 's';
    r.module = "ios";
    r.token = std::move(token);
    r.created = at(1000);
    r.renewed = at(renewed);
    return r;
  }

  std::unique_ptr<PostgresTestServer> server_;
};

TEST_F(PostgresStoreTest, TombstonesSchemaAndReopen) {
  std::string hash_a(32, '\x01'), hash_b(32, '\x00');
  hash_b[5] = 'b';  // embedded NULs must survive as BYTEA
  {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), PostgresStore::latest_schema_version());
    EXPECT_EQ(PostgresStore::latest_schema_version(), 2);
    ASSERT_TRUE(store->put(hash_a, at(2000000000)));
    ASSERT_TRUE(store->put(hash_b, at(100)));
    ASSERT_TRUE(store->put(hash_b, at(2000000100)));  // replaces
  }
  auto store = open();
  ASSERT_TRUE(store);
  auto all = store->load_all();
  ASSERT_EQ(all.size(), 2u);
  std::map<std::string, system_clock::time_point> by_hash;
  for (auto& t : all) by_hash[t.token_hash] = t.until;
  EXPECT_EQ(by_hash.at(hash_a), at(2000000000));
  EXPECT_EQ(by_hash.at(hash_b), at(2000000100));

  EXPECT_TRUE(store->erase(hash_a));
  store->put(std::string(32, 'c'), at(300));
  EXPECT_EQ(store->purge_expired(at(300)), 1u);
  all = store->load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].token_hash, hash_b);

  // Nothing but what PRIVACY.md allows.
  EXPECT_EQ(column("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                   "'public' ORDER BY table_name"),
            (std::vector<std::string>{"registrations", "schema_version", "tombstones"}));
  EXPECT_EQ(column("SELECT column_name FROM information_schema.columns WHERE table_name = "
                   "'tombstones' ORDER BY column_name"),
            (std::vector<std::string>{"token_hash", "until"}));
}

TEST_F(PostgresStoreTest, Registrations) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->insert(reg("n1", "tok-a", 5000)), StoreStatus::kOk);
  EXPECT_EQ(store->insert(reg("n1", "tok-other", 5000)), StoreStatus::kExists);
  EXPECT_EQ(store->insert(reg("n2", "tok-a", 7000)), StoreStatus::kOk);
  EXPECT_EQ(store->insert(reg("n3", "tok-b", 5000)), StoreStatus::kOk);

  Registration found;
  ASSERT_EQ(store->find("n1", &found), StoreStatus::kOk);
  EXPECT_EQ(found.token, "tok-a");  // the duplicate insert changed nothing
  EXPECT_EQ(found.secret_hash, reg("x", "", 0).secret_hash);
  EXPECT_EQ(found.module, "ios");
  EXPECT_EQ(found.created, at(1000));
  EXPECT_FALSE(found.last_success);
  EXPECT_EQ(store->find("nope", &found), StoreStatus::kNotFound);

  // Renewal only where node, module and token all match.
  std::string new_hash(32, 'n');
  EXPECT_EQ(store->renew("n1", "ios", "tok-other", new_hash, at(6000)), StoreStatus::kNotFound);
  EXPECT_EQ(store->renew("n1", "android", "tok-a", new_hash, at(6000)), StoreStatus::kNotFound);
  EXPECT_EQ(store->renew("n1", "ios", "tok-a", new_hash, at(6000)), StoreStatus::kOk);
  ASSERT_EQ(store->find("n1", &found), StoreStatus::kOk);
  EXPECT_EQ(found.secret_hash, new_hash);
  EXPECT_EQ(found.renewed, at(6000));

  // Outcomes: latest per node, never backwards; unknown nodes ignored.
  ASSERT_TRUE(store->record_outcomes({{"n1", true, at(8000)},
                                      {"n1", true, at(7000)},
                                      {"n1", false, at(7500)},
                                      {"gone", true, at(9000)}}));
  ASSERT_EQ(store->find("n1", &found), StoreStatus::kOk);
  EXPECT_EQ(found.last_success, at(8000));
  EXPECT_EQ(found.last_error, at(7500));

  auto by_token = store->find_by_token("tok-a");
  ASSERT_EQ(by_token.size(), 2u);
  EXPECT_EQ(by_token[0].node, "n1");
  EXPECT_EQ(by_token[1].node, "n2");

  // 410 with a timestamp older than the renewal keeps it; newer deletes.
  EXPECT_EQ(store->erase_dead_token("ios", "tok-a", at(6500)), 1u);  // n1 (6000) goes, n2 stays
  EXPECT_EQ(store->find("n1", nullptr), StoreStatus::kNotFound);
  EXPECT_EQ(store->find("n2", nullptr), StoreStatus::kOk);
  EXPECT_EQ(store->erase_dead_token("android", "tok-a", std::nullopt), 0u);  // other module
  EXPECT_EQ(store->erase_dead_token("ios", "tok-a", std::nullopt), 1u);

  EXPECT_EQ(store->insert(reg("n4", "tok-c", 100)), StoreStatus::kOk);
  EXPECT_EQ(store->expire_renewed_before(at(5000)), 1u);  // n4; n3 (5000) is not before
  EXPECT_EQ(store->find("n3", nullptr), StoreStatus::kOk);

  EXPECT_EQ(store->insert(reg("n5", "tok-b", 9000)), StoreStatus::kOk);
  EXPECT_EQ(store->erase_by_token("tok-b"), 2u);
  EXPECT_EQ(store->remove("n3"), StoreStatus::kNotFound);
  EXPECT_EQ(store->insert(reg("n6", "tok-d", 9000)), StoreStatus::kOk);
  EXPECT_EQ(store->remove("n6"), StoreStatus::kOk);
  EXPECT_EQ(column("SELECT count(*) FROM registrations"), (std::vector<std::string>{"0"}));
}

TEST_F(PostgresStoreTest, MigratesFromVersionOneAndRefusesNewer) {
  // What a Herald with schema version 1 left behind.
  sql("CREATE TABLE schema_version (version INTEGER NOT NULL);"
      "INSERT INTO schema_version VALUES (1);"
      "CREATE TABLE tombstones (token_hash BYTEA PRIMARY KEY, until BIGINT NOT NULL);"
      "INSERT INTO tombstones VALUES ('\\x0102'::bytea, 4000000000)");
  {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), 2);
    auto all = store->load_all();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].token_hash, std::string("\x01\x02", 2));
    EXPECT_EQ(store->insert(reg("n", "t", 1)), StoreStatus::kOk);
  }
  sql("UPDATE schema_version SET version = 999");
  std::string error;
  EXPECT_FALSE(PostgresStore::open(server_->conninfo(), &error));
  EXPECT_NE(error.find("999"), std::string::npos) << error;
}

TEST_F(PostgresStoreTest, NodesStartingAtOnceMigrateOnce) {
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<PostgresStore>> stores(kNodes);
  std::vector<std::string> errors(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i)
    threads.emplace_back([&, i] { stores[i] = PostgresStore::open(server_->conninfo(), &errors[i]); });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(stores[i]) << errors[i];
    EXPECT_EQ(stores[i]->schema_version(), 2);
  }
  EXPECT_EQ(column("SELECT count(*) FROM schema_version"), (std::vector<std::string>{"1"}));
  // A tombstone written by one node is seen by another.
  ASSERT_TRUE(stores[0]->put(std::string(32, 't'), at(2000000000)));
  EXPECT_EQ(stores[1]->load_all().size(), 1u);
}

TEST_F(PostgresStoreTest, OutageQueuesTombstonesAndRecovers) {
  PostgresOptions options;
  options.retry_interval = std::chrono::milliseconds(200);
  auto store = open(options);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put(std::string(32, 'a'), at(2000000000)));

  ASSERT_TRUE(server_->stop());
  EXPECT_FALSE(store->put(std::string(32, 'b'), at(2000000000)));
  EXPECT_FALSE(store->connected());
  EXPECT_FALSE(store->erase(std::string(32, 'a')));
  EXPECT_EQ(store->queued_writes(), 2u);
  EXPECT_EQ(store->find("n", nullptr), StoreStatus::kError);  // never "not found" when down

  ASSERT_TRUE(server_->start());
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // past the retry interval
  EXPECT_TRUE(store->put(std::string(32, 'c'), at(2000000000)));
  EXPECT_TRUE(store->connected());
  EXPECT_EQ(store->queued_writes(), 0u);
  std::map<std::string, system_clock::time_point> by_hash;
  for (auto& t : store->load_all()) by_hash[t.token_hash] = t.until;
  EXPECT_EQ(by_hash.size(), 2u);  // b and c; a erased during the outage
  EXPECT_TRUE(by_hash.count(std::string(32, 'b')));
  EXPECT_TRUE(by_hash.count(std::string(32, 'c')));
}

TEST(PostgresStoreOpen, UnreachableServerIsAnError) {
  std::string error;
  EXPECT_FALSE(PostgresStore::open("host=127.0.0.1 port=1 user=x password=hunter2 connect_timeout=2",
                                   &error));
  EXPECT_NE(error.find("cannot connect"), std::string::npos) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
}

}  // namespace
}  // namespace herald::store
