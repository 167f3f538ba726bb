#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace herald::store {
namespace {

using std::chrono::system_clock;
using namespace std::chrono_literals;

// A private directory per test, removed afterwards.
class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "herald.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteStore> open() {
    std::string error;
    auto store = SqliteStore::open(path_, &error);
    EXPECT_TRUE(store) << error;
    return store;
  }

  std::filesystem::path dir_;
  std::string path_;
};

system_clock::time_point at(int64_t unix_seconds) {
  return system_clock::time_point(std::chrono::seconds(unix_seconds));
}

TEST_F(SqliteStoreTest, CreatesFileWithCurrentSchemaInWalMode) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_EQ(store->schema_version(), SqliteStore::latest_schema_version());
  EXPECT_GE(SqliteStore::latest_schema_version(), 1);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, TombstonesSurviveReopen) {
  std::string hash_a(32, '\x01'), hash_b(32, '\x00');
  hash_b[5] = 'b';  // embedded NULs must survive as BLOB
  {
    auto store = open();
    ASSERT_TRUE(store->put(hash_a, at(2000000000)));
    ASSERT_TRUE(store->put(hash_b, at(2000000100)));
  }
  auto store = open();
  EXPECT_EQ(store->schema_version(), SqliteStore::latest_schema_version());
  auto all = store->load_all();
  ASSERT_EQ(all.size(), 2u);
  std::map<std::string, system_clock::time_point> by_hash;
  for (auto& t : all) by_hash[t.token_hash] = t.until;
  EXPECT_EQ(by_hash.at(hash_a), at(2000000000));
  EXPECT_EQ(by_hash.at(hash_b), at(2000000100));
}

TEST_F(SqliteStoreTest, PutReplacesAndEraseRemoves) {
  auto store = open();
  std::string hash(32, 'h');
  store->put(hash, at(100));
  store->put(hash, at(200));
  auto all = store->load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].until, at(200));
  EXPECT_TRUE(store->erase(hash));
  EXPECT_TRUE(store->load_all().empty());
}

TEST_F(SqliteStoreTest, PurgeRemovesOnlyExpired) {
  auto store = open();
  store->put(std::string(32, 'a'), at(100));
  store->put(std::string(32, 'b'), at(200));
  store->put(std::string(32, 'c'), at(300));
  EXPECT_EQ(store->purge_expired(at(200)), 2u);
  auto all = store->load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].token_hash, std::string(32, 'c'));
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
  { auto store = open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 999", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::string error;
  EXPECT_FALSE(SqliteStore::open(path_, &error));
  EXPECT_NE(error.find("999"), std::string::npos);
}

TEST_F(SqliteStoreTest, StoresNothingButHashAndTime) {
  auto store = open();
  store->put(std::string(32, 'z'), at(500));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name", -1,
                         &stmt, nullptr),
      SQLITE_OK);
  std::vector<std::string> tables;
  while (sqlite3_step(stmt) == SQLITE_ROW)
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  sqlite3_finalize(stmt);
  EXPECT_EQ(tables, (std::vector<std::string>{"registrations", "schema_version", "tombstones"}));
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT * FROM tombstones", -1, &stmt, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_column_count(stmt), 2);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, OpenFailsInMissingDirectory) {
  std::string error;
  EXPECT_FALSE(SqliteStore::open((dir_ / "no" / "such" / "x.db").string(), &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace herald::store
