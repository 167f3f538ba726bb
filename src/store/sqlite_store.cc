#include "store/sqlite_store.h"

#include <sqlite3.h>

#include "base/log.h"

namespace herald::store {

namespace {

// Index i holds the migration from version i to i + 1. Append only: a
// released migration never changes.
const char* const kMigrations[] = {
    // 1: tombstones of dead device tokens, nothing else.
    "CREATE TABLE tombstones ("
    "  token_hash BLOB PRIMARY KEY NOT NULL,"
    "  until INTEGER NOT NULL"  // unix seconds
    ") WITHOUT ROWID",
    // 2: v1 registrations, exactly the fields docs/privacy.md promise 3 allows
    // (registration_store.h); times in unix seconds.
    "CREATE TABLE registrations ("
    "  node TEXT PRIMARY KEY NOT NULL,"
    "  secret_hash BLOB NOT NULL,"
    "  module TEXT NOT NULL,"
    "  token TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  renewed INTEGER NOT NULL,"
    "  last_success INTEGER,"
    "  last_error INTEGER"
    ") WITHOUT ROWID;"
    "CREATE INDEX registrations_token ON registrations (token);"
    "CREATE INDEX registrations_renewed ON registrations (renewed);",
};

int64_t to_unix(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix(int64_t s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

// Owns one prepared statement for the length of a call.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      log::error("sqlite: prepare failed: {}", sqlite3_errmsg(db));
      stmt_ = nullptr;
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() { return stmt_; }
  void bind_blob(int i, std::string_view b) {
    if (stmt_) sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
  }
  void bind_int(int i, int64_t v) {
    if (stmt_) sqlite3_bind_int64(stmt_, i, v);
  }
  // Runs a statement that returns no rows.
  bool run() {
    if (!stmt_) return false;
    int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_DONE) {
      log::error("sqlite: step failed: {}", sqlite3_errmsg(db_));
      return false;
    }
    return true;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

int SqliteStore::latest_schema_version() {
  return static_cast<int>(std::size(kMigrations));
}

std::unique_ptr<SqliteStore> SqliteStore::open(const std::string& path, std::string* error) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    if (error) *error = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  // An admin command may open the file while the server runs: wait briefly
  // for its lock instead of failing.
  sqlite3_busy_timeout(db, 5000);
  if (!store->exec("PRAGMA journal_mode=WAL", error) ||
      !store->exec("PRAGMA secure_delete=ON", error) ||
      !store->exec("PRAGMA foreign_keys=ON", error) || !store->migrate(error)) {
    return nullptr;
  }
  return store;
}

SqliteStore::~SqliteStore() {
  sqlite3_close(db_);
}

bool SqliteStore::exec(const char* sql, std::string* error) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    if (error) *error = message ? message : "sqlite error";
    sqlite3_free(message);
    return false;
  }
  return true;
}

int SqliteStore::schema_version() {
  Statement select(db_, "SELECT version FROM schema_version");
  if (!select.ok() || sqlite3_step(select.get()) != SQLITE_ROW) return 0;
  return sqlite3_column_int(select.get(), 0);
}

bool SqliteStore::migrate(std::string* error) {
  if (!exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", error))
    return false;
  {
    Statement count(db_, "SELECT COUNT(*) FROM schema_version");
    if (!count.ok() || sqlite3_step(count.get()) != SQLITE_ROW) {
      if (error) *error = "cannot read schema_version";
      return false;
    }
    if (sqlite3_column_int(count.get(), 0) == 0 &&
        !exec("INSERT INTO schema_version (version) VALUES (0)", error))
      return false;
  }
  int version = schema_version();
  if (version > latest_schema_version()) {
    if (error)
      *error = "database schema version " + std::to_string(version) +
               " is newer than this Herald understands (" +
               std::to_string(latest_schema_version()) + ")";
    return false;
  }
  for (; version < latest_schema_version(); ++version) {
    // Each step is one transaction, so a crash leaves a consistent version.
    if (!exec("BEGIN IMMEDIATE", error)) return false;
    std::string update = "UPDATE schema_version SET version = " + std::to_string(version + 1);
    if (!exec(kMigrations[version], error) || !exec(update.c_str(), error)) {
      exec("ROLLBACK", nullptr);
      return false;
    }
    if (!exec("COMMIT", error)) return false;
    log::info("store: schema migrated to version {}", version + 1);
  }
  return true;
}

std::vector<Tombstone> SqliteStore::load_all() {
  std::vector<Tombstone> out;
  Statement select(db_, "SELECT token_hash, until FROM tombstones");
  if (!select.ok()) return out;
  int rc;
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
    const void* blob = sqlite3_column_blob(select.get(), 0);
    int size = sqlite3_column_bytes(select.get(), 0);
    Tombstone t;
    t.token_hash.assign(static_cast<const char*>(blob), static_cast<size_t>(size));
    t.until = from_unix(sqlite3_column_int64(select.get(), 1));
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) log::error("sqlite: loading tombstones failed: {}", sqlite3_errmsg(db_));
  return out;
}

bool SqliteStore::put(std::string_view token_hash, std::chrono::system_clock::time_point until) {
  Statement insert(db_, "INSERT OR REPLACE INTO tombstones (token_hash, until) VALUES (?1, ?2)");
  insert.bind_blob(1, token_hash);
  insert.bind_int(2, to_unix(until));
  return insert.run();
}

bool SqliteStore::erase(std::string_view token_hash) {
  Statement remove(db_, "DELETE FROM tombstones WHERE token_hash = ?1");
  remove.bind_blob(1, token_hash);
  return remove.run();
}

size_t SqliteStore::purge_expired(std::chrono::system_clock::time_point now) {
  Statement remove(db_, "DELETE FROM tombstones WHERE until <= ?1");
  remove.bind_int(1, to_unix(now));
  if (!remove.run()) return 0;
  return static_cast<size_t>(sqlite3_changes(db_));
}

}  // namespace herald::store
