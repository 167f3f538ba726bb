// SQLite-only behaviour of SqliteStore: the file is created in WAL mode, and
// a bad path is an error. The contract shared with PostgreSQL (tombstones,
// registrations, migrations) is asserted once for both in
// store_contract_test.cc.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

namespace herald::store {
namespace {

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

TEST_F(SqliteStoreTest, OpenFailsInMissingDirectory) {
  std::string error;
  EXPECT_FALSE(SqliteStore::open((dir_ / "no" / "such" / "x.db").string(), &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace herald::store
