// push::Tombstones on a real store: SQLite in a temp file, and a real
// PostgreSQL (postgres_test_server.h) stopped and frozen under it, to show
// that lookups never wait for the store and that changes made while it is
// gone reach it once it is back.
#include "push/tombstones.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <thread>

#include "../store/test_support.h"
#include "base/crypto.h"
#include "store/push_schema.h"

namespace herald::push {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;
using store::testing::PostgresTestServer;

const system_clock::time_point kNow = system_clock::now();

class TombstonesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::DatabaseOptions o;
    o.target = dir_.file("herald.sqlite");
    open(o);
  }
  void TearDown() override {
    tombstones_.reset();
    store_.reset();
    db_.reset();
  }
  void open(const store::DatabaseOptions& o, TombstonesOptions t = {}) {
    tombstones_.reset();
    store_.reset();
    db_ = store::Database::open(o, store::push_migrations());
    store_ = std::make_unique<store::TombstoneStore>(*db_);
    tombstones_ = std::make_unique<Tombstones>(io_.get_executor(), *store_, t);
    Status s = tombstones_->load();
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  // What the store holds, read around the Tombstones under test.
  std::map<std::string, system_clock::time_point> stored() {
    auto all = store::await<Result<std::vector<store::Tombstone>>>(
        [&](auto ex, auto done) { store_->load_all(ex, done); });
    std::map<std::string, system_clock::time_point> out;
    if (all.ok())
      for (auto& t : *all) out[t.token_hash] = t.until;
    return out;
  }
  template <typename Pred>
  bool run_until(Pred done) {
    return store::testing::run_until(io_, done);
  }

  asio::io_context io_;
  store::testing::ScratchDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::TombstoneStore> store_;
  std::unique_ptr<Tombstones> tombstones_;
};

TEST_F(TombstonesTest, BuryIsDeadAtOnceAndWritesTheHashNotTheToken) {
  tombstones_->bury("aabbcc", kNow + 1h);
  // In memory before the store has it: lookups never wait for the store.
  EXPECT_TRUE(tombstones_->is_dead("aabbcc", kNow));
  EXPECT_FALSE(tombstones_->is_dead("aabbcd", kNow));
  EXPECT_TRUE(tombstones_->is_dead_hashed(sha256("aabbcc"), kNow));
  EXPECT_EQ(tombstones_->unsaved(), 1u);
  ASSERT_TRUE(run_until([&] { return tombstones_->unsaved() == 0; }));
  auto rows = stored();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.begin()->first, sha256("aabbcc"));
  EXPECT_EQ(std::chrono::time_point_cast<std::chrono::seconds>(rows.begin()->second),
            std::chrono::time_point_cast<std::chrono::seconds>(kNow + 1h));
}

TEST_F(TombstonesTest, DeadOnlyUntilTheGivenTime) {
  tombstones_->bury("t", kNow + 1h);
  EXPECT_TRUE(tombstones_->is_dead("t", kNow + 59min));
  EXPECT_FALSE(tombstones_->is_dead("t", kNow + 1h));
}

TEST_F(TombstonesTest, LoadedFromTheStoreAtStartUp) {
  tombstones_->bury("old", kNow + 1h);
  ASSERT_TRUE(run_until([&] { return tombstones_->unsaved() == 0; }));
  tombstones_ = std::make_unique<Tombstones>(io_.get_executor(), *store_);
  EXPECT_EQ(tombstones_->size(), 0u);
  ASSERT_TRUE(tombstones_->load().ok());
  EXPECT_TRUE(tombstones_->is_dead("old", kNow));
  EXPECT_EQ(tombstones_->size(), 1u);
}

TEST_F(TombstonesTest, ClearForgetsInMemoryAndStore) {
  tombstones_->bury("t", kNow + 1h);
  ASSERT_TRUE(run_until([&] { return tombstones_->unsaved() == 0; }));
  EXPECT_TRUE(tombstones_->clear("t"));
  EXPECT_FALSE(tombstones_->is_dead("t", kNow));
  ASSERT_TRUE(run_until([&] { return tombstones_->unsaved() == 0; }));
  EXPECT_TRUE(stored().empty());
  EXPECT_FALSE(tombstones_->clear("t"));
  EXPECT_FALSE(tombstones_->clear_hashed(sha256("t")));
}

// Changes to one hash while its batch is with the store: the last one wins
// in the store as in memory.
TEST_F(TombstonesTest, TheLatestChangeOfAHashWins) {
  tombstones_->bury("a", kNow + 1h);  // this batch goes at once
  tombstones_->clear("a");            // these wait for it
  tombstones_->bury("a", kNow + 2h);
  tombstones_->bury("b", kNow + 1h);
  tombstones_->clear("b");
  ASSERT_TRUE(run_until([&] { return tombstones_->unsaved() == 0; }));
  auto rows = stored();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.begin()->first, sha256("a"));
  EXPECT_TRUE(tombstones_->is_dead("a", kNow + 90min));
  EXPECT_FALSE(tombstones_->is_dead("b", kNow));
}

TEST_F(TombstonesTest, PurgeDropsExpiredFromMemoryAndStore) {
  tombstones_->bury("a", kNow + 1h);
  tombstones_->bury("b", kNow + 3h);
  ASSERT_TRUE(run_until([&] { return tombstones_->unsaved() == 0; }));
  tombstones_->purge_expired(kNow + 2h);
  EXPECT_EQ(tombstones_->size(), 1u);
  EXPECT_TRUE(tombstones_->is_dead("b", kNow + 2h));
  ASSERT_TRUE(run_until([&] { return stored().size() == 1; }));
  EXPECT_EQ(stored().begin()->first, sha256("b"));
}

// PostgreSQL stopped, then frozen (SIGSTOP): burying stays instant, the
// changes wait in memory and reach PostgreSQL once it is back, in order.
TEST(TombstonesOutage, ChangesDuringAnOutageReachTheStoreOnceItIsBack) {
  PostgresTestServer pg;
  HERALD_NEED_POSTGRES(pg);
  store::DatabaseOptions o = store::testing::quick_postgres(pg);
  auto db = store::Database::open(o, store::push_migrations());
  store::TombstoneStore store(*db);
  asio::io_context io;
  TombstonesOptions options;
  options.retry_interval = 200ms;
  Tombstones tombstones(io.get_executor(), store, options);
  ASSERT_TRUE(tombstones.load().ok());
  auto run_until = [&](auto done, std::chrono::milliseconds limit) {
    return store::testing::run_until(io, done, limit);
  };
  auto stored = [&] {
    auto all = store::await<Result<std::vector<store::Tombstone>>>(
        [&](auto ex, auto done) { store.load_all(ex, done); });
    std::map<std::string, system_clock::time_point> out;
    if (all.ok())
      for (auto& t : *all) out[t.token_hash] = t.until;
    return out;
  };
  tombstones.bury("a", kNow + 1h);
  ASSERT_TRUE(run_until([&] { return tombstones.unsaved() == 0; }, 5s));

  ASSERT_TRUE(pg.stop());
  tombstones.bury("b", kNow + 1h);
  tombstones.clear("a");
  EXPECT_TRUE(tombstones.is_dead("b", kNow)) << "in memory at once";
  EXPECT_FALSE(tombstones.is_dead("a", kNow));
  run_until([] { return false; }, 1s);  // batches fail and are kept
  EXPECT_EQ(tombstones.unsaved(), 2u);

  ASSERT_TRUE(pg.start());
  pg.freeze();  // a server that accepts and answers nothing: the same, slower
  auto t0 = std::chrono::steady_clock::now();
  tombstones.bury("c", kNow + 1h);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 50ms) << "burying never waits for the store";
  run_until([] { return false; }, 1500ms);
  EXPECT_EQ(tombstones.unsaved(), 3u);
  pg.thaw();

  ASSERT_TRUE(run_until([&] { return tombstones.unsaved() == 0; }, 15s));
  auto rows = stored();
  EXPECT_EQ(rows.size(), 2u) << "b and c; a erased during the outage";
  EXPECT_TRUE(rows.count(sha256("b")));
  EXPECT_TRUE(rows.count(sha256("c")));
}

}  // namespace
}  // namespace herald::push
