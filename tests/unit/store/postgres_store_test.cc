// PostgreSQL-only behaviour of PostgresStore against a real PostgreSQL
// started by each test (postgres_test_server.h): nodes starting at once, an
// outage and a server restart, an unreachable server. The contract shared
// with SQLite (tombstones, registrations, migrations) is asserted once for
// both in store_contract_test.cc.
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

  std::vector<std::string> column(const std::string& text) {
    std::vector<std::string> out;
    PGconn* c = PQconnectdb(server_->conninfo().c_str());
    PGresult* r = PQexec(c, text.c_str());
    for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
    PQclear(r);
    PQfinish(c);
    return out;
  }

  std::unique_ptr<PostgresTestServer> server_;
};

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
