// store::Database (database.h) against both engines: real SQLite in a temp
// file and a real PostgreSQL per test. The same assertions run on each; the
// stalled-server cases (a frozen PostgreSQL, a locked SQLite file) show the
// bounds the contract promises.
#include "store/database.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "test_support.h"

namespace herald::store {
namespace {

using namespace std::chrono_literals;
using testing::PostgresTestServer;
using Clock = std::chrono::steady_clock;

const std::vector<Migration> kSchema = {
    {1, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)",
     "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BYTEA)"},
    {2, "CREATE TABLE notes (item INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE, note TEXT)",
     "CREATE TABLE notes (item BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE, note TEXT)"},
};

class DatabaseTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::sqlite) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "herald-db-XXXXXX").string();
      ASSERT_TRUE(mkdtemp(tmpl.data()));
      dir_ = tmpl;
      options_.engine = Engine::sqlite;
      options_.target = dir_ + "/test.sqlite";
    } else {
      pg_ = std::make_unique<PostgresTestServer>();
      if (!pg_->available()) {
        if (pg_->binaries_missing() && !PostgresTestServer::required()) GTEST_SKIP() << pg_->why();
        FAIL() << pg_->why();
      }
      options_.engine = Engine::postgres;
      options_.target = pg_->conninfo();
    }
    options_.version_table = "test_schema_version";
  }
  void TearDown() override {
    db_.reset();
    if (pg_) pg_->thaw();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  Database& open(const std::vector<Migration>& migrations = kSchema) {
    db_.reset();
    db_ = Database::open(options_, migrations);
    return *db_;
  }
  // Runs a job through the asynchronous path and the test's own loop.
  template <typename T>
  Result<T> through_loop(std::function<Result<T>(Connection&)> work, std::string_view key = {}) {
    asio::io_context io;
    auto busy = asio::make_work_guard(io);
    std::optional<Result<T>> out;
    std::thread::id ran_on;
    db_->run<T>(io.get_executor(), std::move(work),
                [&](Result<T> r) {
                  out.emplace(std::move(r));
                  ran_on = std::this_thread::get_id();
                  busy.reset();
                },
                key);
    io.run_for(30s);
    EXPECT_EQ(ran_on, std::this_thread::get_id()) << "completion must run on the asking loop";
    return out ? std::move(*out) : Result<T>(Internal("no completion"));
  }

  std::string dir_;
  std::unique_ptr<PostgresTestServer> pg_;
  DatabaseOptions options_;
  std::unique_ptr<Database> db_;
};

TEST_P(DatabaseTest, MigratesFromEmptyOnceAndRefusesANewerSchema) {
  EXPECT_EQ(open().schema_version(), 2);
  EXPECT_EQ(open().schema_version(), 2);  // nothing to do the second time
  std::vector<Migration> more = kSchema;
  more.push_back({3, "CREATE TABLE extra (x INTEGER)", "CREATE TABLE extra (x BIGINT)"});
  EXPECT_EQ(open(more).schema_version(), 3);
  db_.reset();
  try {
    Database::open(options_, kSchema);
    FAIL() << "a database newer than the build must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this build knows"), std::string::npos)
        << e.what();
  }
}

TEST_P(DatabaseTest, AFailedMigrationLeavesTheVersionWhereItWas) {
  std::vector<Migration> broken = kSchema;
  broken.push_back({3, "CREATE TABLE items (x INTEGER)", "CREATE TABLE items (x BIGINT)"});
  EXPECT_THROW(open(broken), std::runtime_error);
  EXPECT_EQ(open().schema_version(), 2);
}

TEST_P(DatabaseTest, ValuesOfEveryKindRoundTrip) {
  open();
  std::string blob("\0\x01\xff binary", 10);
  auto r = through_loop<Rows>([&](Connection& c) -> Result<Rows> {
    auto in = c.query("INSERT INTO items (id, name, data) VALUES ($1, $2, $3)",
                      {int64_t(1) << 40, std::string("ünïcode name"), Blob{blob}});
    if (!in.ok()) return in.status();
    if (in->affected != 1) return Internal("affected " + std::to_string(in->affected));
    // Parameters named out of order, and a NULL.
    return c.query("SELECT data, id, name, $2 FROM items WHERE name = $1",
                   {std::string("ünïcode name"), Null{}});
  });
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->rows.size(), 1u);
  const Row& row = r->rows[0];
  EXPECT_EQ(row.text(0), blob);
  EXPECT_EQ(row.integer(1), int64_t(1) << 40);
  EXPECT_EQ(row.text(2), "ünïcode name");
  EXPECT_TRUE(row.is_null(3));
}

TEST_P(DatabaseTest, ADuplicateKeyIsExistsNotAFailure) {
  open();
  auto r = through_loop<Rows>([](Connection& c) -> Result<Rows> {
    auto first = c.query("INSERT INTO items (id, name) VALUES (1, 'a')");
    if (!first.ok()) return first.status();
    return c.query("INSERT INTO items (id, name) VALUES (2, 'a')");
  });
  EXPECT_EQ(r.status().code(), StatusCode::exists) << r.status().to_string();
}

TEST_P(DatabaseTest, ATransactionThatFailsLeavesNothing) {
  open();
  Status s = db_->run_sync([](Connection& c) {
    return c.transaction([&] {
      auto a = c.query("INSERT INTO items (id, name) VALUES (1, 'a')");
      if (!a.ok()) return a.status();
      auto b = c.query("INSERT INTO items (id, name) VALUES (1, 'b')");
      return b.ok() ? Status::Ok() : b.status();
    });
  });
  EXPECT_EQ(s.code(), StatusCode::exists);
  auto count = db_->run_sync<int64_t>([](Connection& c) -> Result<int64_t> {
    auto r = c.query("SELECT COUNT(*) FROM items");
    if (!r.ok()) return r.status();
    return r->rows[0].integer(0);
  });
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
}

TEST_P(DatabaseTest, DeletingARowDeletesWhatReferencesIt) {
  open();
  auto notes = db_->run_sync<int64_t>([](Connection& c) -> Result<int64_t> {
    for (const char* sql : {"INSERT INTO items (id, name) VALUES (7, 'x')",
                            "INSERT INTO notes (item, note) VALUES (7, 'one')",
                            "INSERT INTO notes (item, note) VALUES (7, 'two')",
                            "DELETE FROM items WHERE id = 7"}) {
      auto r = c.query(sql);
      if (!r.ok()) return r.status();
    }
    auto r = c.query("SELECT COUNT(*) FROM notes");
    if (!r.ok()) return r.status();
    return r->rows[0].integer(0);
  });
  ASSERT_TRUE(notes.ok()) << notes.status().to_string();
  EXPECT_EQ(*notes, 0);
}

TEST_P(DatabaseTest, JobsWithOneOrderKeyRunInTheOrderSubmitted) {
  options_.workers = 3;
  open();
  asio::io_context io;
  auto busy = asio::make_work_guard(io);
  std::vector<int> seen;
  for (int i = 0; i < 50; ++i)
    db_->run<int64_t>(
        io.get_executor(),
        [i](Connection& c) -> Result<int64_t> {
          auto r = c.query("INSERT INTO items (id, name) VALUES ($1, $2)",
                           {int64_t(i), std::to_string(i)});
          if (!r.ok()) return r.status();
          auto n = c.query("SELECT COUNT(*) FROM items");
          if (!n.ok()) return n.status();
          return n->rows[0].integer(0);
        },
        [&](Result<int64_t> r) {
          seen.push_back(r.ok() ? int(*r) : -1);
          if (seen.size() == 50) busy.reset();
        },
        "one key");
  io.run_for(30s);
  ASSERT_EQ(seen.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(seen[size_t(i)], i + 1);
}

TEST_P(DatabaseTest, AJobThatWaitedPastTheQueueTimeoutDoesNotRun) {
  options_.workers = 1;
  options_.queue_timeout = 200ms;
  open();
  asio::io_context io;
  auto busy = asio::make_work_guard(io);
  std::optional<Status> second;
  bool second_ran = false;
  db_->run(io.get_executor(), [](Connection&) {
    std::this_thread::sleep_for(500ms);
    return Status::Ok();
  }, [](Status) {});
  db_->run(io.get_executor(), [&](Connection&) {
    second_ran = true;
    return Status::Ok();
  }, [&](Status s) {
    second = s;
    busy.reset();
  });
  io.run_for(10s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->code(), StatusCode::timeout) << second->to_string();
  EXPECT_FALSE(second_ran);
}

TEST_P(DatabaseTest, ALongStatementIsCutOffAtTheStatementTimeout) {
  options_.statement_timeout = 300ms;
  open();
  auto t0 = Clock::now();
  auto r = through_loop<Rows>([](Connection& c) {
    return c.query(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000000)"
        " SELECT COUNT(*) FROM n");
  });
  EXPECT_EQ(r.status().code(), StatusCode::timeout) << r.status().to_string();
  EXPECT_LT(Clock::now() - t0, 3s);
  // The next job is served (on a fresh connection where the old one broke).
  auto after = through_loop<Rows>([](Connection& c) { return c.query("SELECT 1"); });
  EXPECT_TRUE(after.ok()) << after.status().to_string();
}

INSTANTIATE_TEST_SUITE_P(Engines, DatabaseTest, ::testing::Values(Engine::sqlite, Engine::postgres),
                         [](const auto& info) {
                           return info.param == Engine::sqlite ? "Sqlite" : "Postgres";
                         });

// PostgreSQL frozen with SIGSTOP (TCP still accepted, nothing answered): a
// statement fails with `timeout` at the statement timeout, later jobs fail
// fast with `unavailable` until retry_interval, and once the server thaws
// the store serves again.
TEST(DatabaseStalled, AFrozenPostgresCostsBoundedWaitsAndRecovers) {
  PostgresTestServer pg;
  HERALD_NEED_POSTGRES(pg);
  DatabaseOptions o;
  o.engine = Engine::postgres;
  o.target = pg.conninfo();
  o.workers = 1;
  o.statement_timeout = 400ms;
  o.connect_timeout = 400ms;
  o.retry_interval = 1000ms;
  o.version_table = "test_schema_version";
  auto db = Database::open(o, kSchema);
  auto select = [](Connection& c) -> Result<int64_t> {
    auto r = c.query("SELECT COUNT(*) FROM items");
    if (!r.ok()) return r.status();
    return r->rows[0].integer(0);
  };
  ASSERT_TRUE(db->run_sync<int64_t>(select).ok());
  pg.freeze();
  auto t0 = Clock::now();
  auto stalled = db->run_sync<int64_t>(select);
  auto took = Clock::now() - t0;
  EXPECT_EQ(stalled.status().code(), StatusCode::timeout) << stalled.status().to_string();
  EXPECT_LT(took, 1500ms);
  EXPECT_FALSE(db->healthy());
  t0 = Clock::now();
  auto fast = db->run_sync<int64_t>(select);
  EXPECT_EQ(fast.status().code(), StatusCode::unavailable) << fast.status().to_string();
  EXPECT_LT(Clock::now() - t0, 200ms);
  pg.thaw();
  auto deadline = Clock::now() + 10s;
  Result<int64_t> back = Unavailable("not yet");
  while (Clock::now() < deadline) {
    back = db->run_sync<int64_t>(select);
    if (back.ok()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_TRUE(db->healthy());
}

// PostgreSQL restarted while the workers were idle: their connections died
// with it, and the first job on each gets a fresh one instead of failing.
TEST(DatabaseStalled, AfterARestartIdleConnectionsAreReplacedBeforeTheirNextJob) {
  PostgresTestServer pg;
  HERALD_NEED_POSTGRES(pg);
  DatabaseOptions o;
  o.engine = Engine::postgres;
  o.target = pg.conninfo();
  o.workers = 3;
  o.version_table = "test_schema_version";
  auto db = Database::open(o, kSchema);
  ASSERT_TRUE(pg.stop());
  ASSERT_TRUE(pg.start());
  asio::io_context io;
  auto busy = asio::make_work_guard(io);
  std::vector<Status> results;
  for (int i = 0; i < 12; ++i)  // several keys: every worker gets some
    db->run(io.get_executor(), [](Connection& c) {
      auto r = c.query("SELECT 1");
      return r.ok() ? Status::Ok() : r.status();
    }, [&](Status s) {
      results.push_back(s);
      if (results.size() == 12) busy.reset();
    }, "key " + std::to_string(i));
  io.run_for(30s);
  ASSERT_EQ(results.size(), 12u);
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.to_string();
  EXPECT_TRUE(db->healthy());
}

// Every asynchronous answer comes within answer_timeout(), whatever the job
// does: here one that sleeps far longer.
TEST(DatabaseBounds, AnAnswerComesWithinTheAnswerTimeout) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "herald-db-XXXXXX").string();
  ASSERT_TRUE(mkdtemp(tmpl.data()));
  DatabaseOptions o;
  o.target = tmpl + "/bound.sqlite";
  o.queue_timeout = 100ms;
  o.statement_timeout = 200ms;
  o.version_table = "test_schema_version";
  EXPECT_EQ(o.answer_timeout(), 100ms + 450ms);
  auto db = Database::open(o, kSchema);
  asio::io_context io;
  auto busy = asio::make_work_guard(io);
  std::optional<Status> answer;
  auto t0 = Clock::now();
  db->run(io.get_executor(), [](Connection&) {
    std::this_thread::sleep_for(1500ms);
    return Status::Ok();
  }, [&](Status s) {
    answer = s;
    busy.reset();
  });
  io.run_for(5s);
  auto took = Clock::now() - t0;
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->code(), StatusCode::timeout) << answer->to_string();
  EXPECT_GE(took, o.answer_timeout());
  EXPECT_LT(took, o.answer_timeout() + 300ms);
  db.reset();  // waits for the sleeping job; its late answer goes nowhere
  std::filesystem::remove_all(tmpl);
}

// Two processes on one SQLite file (`herald serve` and an operator's
// command, here Python's sqlite3 module on the same libsqlite3): each sees
// what the other committed at once, on every worker, and the other's exit
// leaves the server's WAL in place (it would delete it if it thought itself
// the file's last user).
TEST(DatabaseSqlite, AnotherProcessOnTheFileSeesAndIsSeenAtOnce) {
  testing::ScratchDir dir;
  DatabaseOptions o;
  o.target = dir.file("shared.sqlite");
  o.workers = 3;
  o.version_table = "test_schema_version";
  auto server = Database::open(o, kSchema);
  auto count = [&] {
    return server->run_sync<int64_t>([](Connection& c) -> Result<int64_t> {
      auto r = c.query("SELECT COUNT(*) FROM items");
      if (!r.ok()) return r.status();
      return r->rows[0].integer(0);
    });
  };
  auto other = [&](const std::string& sql) {
    std::string command = "python3 -c \"import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                          "c.execute(sys.argv[2]); c.commit(); c.close()\" " +
                          o.target + " \"" + sql + "\"";
    return std::system(command.c_str());
  };
  ASSERT_TRUE(server->run_sync<Rows>([](Connection& c) {
    return c.query("INSERT INTO items (id, name) VALUES (1, 'a')");
  }).ok());
  for (int i = 0; i < 6; ++i) ASSERT_EQ(count().value_or(-1), 1);  // every worker has read
  ASSERT_EQ(other("DELETE FROM items WHERE id = 1"), 0);
  EXPECT_TRUE(std::filesystem::exists(o.target + "-wal")) << "the other process deleted our WAL";
  for (int i = 0; i < 6; ++i) EXPECT_EQ(count().value_or(-1), 0) << i;
  ASSERT_TRUE(server->run_sync<Rows>([](Connection& c) {
    return c.query("INSERT INTO items (id, name) VALUES (2, 'b')");
  }).ok());
  ASSERT_EQ(other("INSERT INTO items (id, name) VALUES (3, 'c')"), 0);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(count().value_or(-1), 2) << i;
}

// Another process holds SQLite's write lock: a write waits at most the
// statement timeout (busy_timeout) and fails with `timeout`.
TEST(DatabaseStalled, ALockedSqliteFileCostsAtMostTheStatementTimeout) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "herald-db-XXXXXX").string();
  ASSERT_TRUE(mkdtemp(tmpl.data()));
  std::string path = tmpl + "/locked.sqlite";
  DatabaseOptions o;
  o.target = path;
  o.statement_timeout = 300ms;
  o.version_table = "test_schema_version";
  auto db = Database::open(o, kSchema);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto t0 = Clock::now();
  auto r = db->run_sync<Rows>(
      [](Connection& c) { return c.query("INSERT INTO items (id, name) VALUES (1, 'a')"); });
  EXPECT_EQ(r.status().code(), StatusCode::timeout) << r.status().to_string();
  EXPECT_LT(Clock::now() - t0, 2s);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  auto ok = db->run_sync<Rows>(
      [](Connection& c) { return c.query("INSERT INTO items (id, name) VALUES (1, 'a')"); });
  EXPECT_TRUE(ok.ok()) << ok.status().to_string();
  // Owner-only, like every file Herald writes.
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  db.reset();
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace herald::store
