#include "store/sqlite_registration_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

namespace herald::store {
namespace {

TimePoint at(int64_t s) {
  return TimePoint(std::chrono::seconds(s));
}

Registration reg(std::string node, std::string token, int64_t renewed) {
  Registration r;
  r.node = std::move(node);
  r.secret_hash = std::string(32, 'h');
  r.module = "ios";
  r.token = std::move(token);
  r.created = at(renewed);
  r.renewed = at(renewed);
  return r;
}

class SqliteRegistrationStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-reg-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "herald.sqlite").string();
    std::string error;
    db_ = SqliteStore::open(path_, &error);
    ASSERT_TRUE(db_) << error;
    store_ = std::make_unique<SqliteRegistrationStore>(*db_);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> db_;
  std::unique_ptr<SqliteRegistrationStore> store_;
};

TEST_F(SqliteRegistrationStoreTest, InsertFindAndRefuseSecondInsert) {
  EXPECT_EQ(store_->insert(reg("n1", "aa", 100)), StoreStatus::kOk);
  Registration out;
  ASSERT_EQ(store_->find("n1", &out), StoreStatus::kOk);
  EXPECT_EQ(out.token, "aa");
  EXPECT_EQ(out.module, "ios");
  EXPECT_EQ(out.secret_hash, std::string(32, 'h'));
  EXPECT_EQ(out.renewed, at(100));
  EXPECT_FALSE(out.last_success);
  EXPECT_EQ(store_->insert(reg("n1", "bb", 200)), StoreStatus::kExists);
  ASSERT_EQ(store_->find("n1", &out), StoreStatus::kOk);
  EXPECT_EQ(out.token, "aa") << "a second insert must not replace the first";
  EXPECT_EQ(store_->find("n2", &out), StoreStatus::kNotFound);
}

TEST_F(SqliteRegistrationStoreTest, RenewOnlyWithSameModuleAndToken) {
  store_->insert(reg("n1", "aa", 100));
  EXPECT_EQ(store_->renew("n1", "ios", "bb", std::string(32, 'x'), at(200)), StoreStatus::kNotFound);
  EXPECT_EQ(store_->renew("n1", "android", "aa", std::string(32, 'x'), at(200)),
            StoreStatus::kNotFound);
  EXPECT_EQ(store_->renew("n1", "ios", "aa", std::string(32, 'x'), at(200)), StoreStatus::kOk);
  Registration out;
  store_->find("n1", &out);
  EXPECT_EQ(out.secret_hash, std::string(32, 'x'));
  EXPECT_EQ(out.renewed, at(200));
  EXPECT_EQ(out.created, at(100));
}

TEST_F(SqliteRegistrationStoreTest, DeadTokenKeepsRegistrationRenewedAfterTimestamp) {
  store_->insert(reg("n1", "aa", 1000));
  EXPECT_EQ(store_->erase_dead_token("ios", "aa", at(900)), 0u) << "renewed after Apple's timestamp";
  EXPECT_EQ(store_->find("n1", nullptr), StoreStatus::kOk);
  EXPECT_EQ(store_->erase_dead_token("ios", "aa", at(1100)), 1u);
  EXPECT_EQ(store_->find("n1", nullptr), StoreStatus::kNotFound);
  store_->insert(reg("n2", "bb", 1000));
  EXPECT_EQ(store_->erase_dead_token("ios", "bb", std::nullopt), 1u) << "BadDeviceToken: no timestamp";
}

TEST_F(SqliteRegistrationStoreTest, ExpiryDeletesOnlyStaleOnes) {
  store_->insert(reg("old", "aa", 100));
  store_->insert(reg("new", "bb", 500));
  EXPECT_EQ(store_->expire_renewed_before(at(300)), 1u);
  EXPECT_EQ(store_->find("old", nullptr), StoreStatus::kNotFound);
  EXPECT_EQ(store_->find("new", nullptr), StoreStatus::kOk);
}

TEST_F(SqliteRegistrationStoreTest, ByTokenAndRemove) {
  store_->insert(reg("n1", "aa", 100));
  store_->insert(reg("n2", "aa", 100));
  store_->insert(reg("n3", "bb", 100));
  EXPECT_EQ(store_->find_by_token("aa").size(), 2u);
  EXPECT_EQ(store_->remove("n3"), StoreStatus::kOk);
  EXPECT_EQ(store_->remove("n3"), StoreStatus::kNotFound);
  EXPECT_EQ(store_->erase_by_token("aa"), 2u);
  EXPECT_TRUE(store_->find_by_token("aa").empty());
}

TEST_F(SqliteRegistrationStoreTest, OutcomesBatchedAndNeverBackwards) {
  store_->insert(reg("n1", "aa", 100));
  ASSERT_TRUE(store_->record_outcomes({{"n1", true, at(300)},
                                       {"n1", true, at(200)},
                                       {"n1", false, at(250)},
                                       {"gone", true, at(300)}}));
  Registration out;
  store_->find("n1", &out);
  ASSERT_TRUE(out.last_success && out.last_error);
  EXPECT_EQ(*out.last_success, at(300));
  EXPECT_EQ(*out.last_error, at(250));
}

TEST_F(SqliteRegistrationStoreTest, MigratesFromVersionOne) {
  store_.reset();
  db_.reset();
  std::filesystem::remove(path_);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  // The schema as version 1 left it, with one tombstone.
  ASSERT_EQ(sqlite3_exec(raw,
                         "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                         "INSERT INTO schema_version VALUES (1);"
                         "CREATE TABLE tombstones (token_hash BLOB PRIMARY KEY NOT NULL,"
                         " until INTEGER NOT NULL) WITHOUT ROWID;"
                         "INSERT INTO tombstones VALUES (x'00', 99);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  std::string error;
  db_ = SqliteStore::open(path_, &error);
  ASSERT_TRUE(db_) << error;
  EXPECT_EQ(db_->schema_version(), 2);
  EXPECT_EQ(db_->load_all().size(), 1u);
  SqliteRegistrationStore store(*db_);
  EXPECT_EQ(store.insert(reg("n1", "aa", 100)), StoreStatus::kOk);
}

TEST_F(SqliteRegistrationStoreTest, RegistrationColumnsAreExactlyThePrivacyList) {
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_->handle(), "SELECT * FROM registrations", -1, &stmt, nullptr),
            SQLITE_OK);
  std::vector<std::string> columns;
  for (int i = 0; i < sqlite3_column_count(stmt); ++i) columns.emplace_back(sqlite3_column_name(stmt, i));
  sqlite3_finalize(stmt);
  EXPECT_EQ(columns, (std::vector<std::string>{"node", "secret_hash", "module", "token", "created",
                                               "renewed", "last_success", "last_error"}));
}

}  // namespace
}  // namespace herald::store
