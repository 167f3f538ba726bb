#include "store/sqlite_registration_store.h"

#include <sqlite3.h>

#include "base/log.h"

namespace herald::store {

namespace {

int64_t to_unix(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint from_unix(int64_t s) {
  return TimePoint(std::chrono::seconds(s));
}

// One prepared statement for the length of a call.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      log::error("sqlite: registrations: prepare failed: {}", sqlite3_errmsg(db));
      stmt_ = nullptr;
    }
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() { return stmt_; }
  void text(int i, std::string_view s) {
    if (stmt_) sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void blob(int i, std::string_view b) {
    if (stmt_) sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
  }
  void integer(int i, int64_t v) {
    if (stmt_) sqlite3_bind_int64(stmt_, i, v);
  }
  void optional(int i, const std::optional<TimePoint>& t) {
    if (!stmt_) return;
    if (t)
      sqlite3_bind_int64(stmt_, i, to_unix(*t));
    else
      sqlite3_bind_null(stmt_, i);
  }
  // Runs a statement without rows; returns the SQLite result code.
  int run() {
    if (!stmt_) return SQLITE_ERROR;
    int rc = sqlite3_step(stmt_);
    if (rc != SQLITE_DONE && rc != SQLITE_CONSTRAINT)
      log::error("sqlite: registrations: step failed: {}", sqlite3_errmsg(db_));
    return rc;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

constexpr const char* kColumns =
    "node, secret_hash, module, token, created, renewed, last_success, last_error";

std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

Registration read_row(sqlite3_stmt* s) {
  Registration r;
  r.node = column_text(s, 0);
  const void* blob = sqlite3_column_blob(s, 1);
  r.secret_hash.assign(static_cast<const char*>(blob),
                       static_cast<size_t>(sqlite3_column_bytes(s, 1)));
  r.module = column_text(s, 2);
  r.token = column_text(s, 3);
  r.created = from_unix(sqlite3_column_int64(s, 4));
  r.renewed = from_unix(sqlite3_column_int64(s, 5));
  if (sqlite3_column_type(s, 6) != SQLITE_NULL) r.last_success = from_unix(sqlite3_column_int64(s, 6));
  if (sqlite3_column_type(s, 7) != SQLITE_NULL) r.last_error = from_unix(sqlite3_column_int64(s, 7));
  return r;
}

}  // namespace

StoreStatus SqliteRegistrationStore::find(std::string_view node, Registration* out) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM registrations WHERE node = ?1";
  Stmt select(db_, sql.c_str());
  if (!select.ok()) return StoreStatus::kError;
  select.text(1, node);
  int rc = sqlite3_step(select.get());
  if (rc == SQLITE_DONE) return StoreStatus::kNotFound;
  if (rc != SQLITE_ROW) {
    log::error("sqlite: registrations: lookup failed: {}", sqlite3_errmsg(db_));
    return StoreStatus::kError;
  }
  if (out) *out = read_row(select.get());
  return StoreStatus::kOk;
}

StoreStatus SqliteRegistrationStore::insert(const Registration& r) {
  Stmt insert(db_,
              "INSERT INTO registrations (node, secret_hash, module, token, created, renewed, "
              "last_success, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  insert.text(1, r.node);
  insert.blob(2, r.secret_hash);
  insert.text(3, r.module);
  insert.text(4, r.token);
  insert.integer(5, to_unix(r.created));
  insert.integer(6, to_unix(r.renewed));
  insert.optional(7, r.last_success);
  insert.optional(8, r.last_error);
  int rc = insert.run();
  if (rc == SQLITE_DONE) return StoreStatus::kOk;
  if (rc == SQLITE_CONSTRAINT) return StoreStatus::kExists;
  return StoreStatus::kError;
}

StoreStatus SqliteRegistrationStore::renew(std::string_view node, std::string_view module,
                                           std::string_view token, std::string_view secret_hash,
                                           TimePoint now) {
  Stmt update(db_,
              "UPDATE registrations SET secret_hash = ?4, renewed = ?5 "
              "WHERE node = ?1 AND module = ?2 AND token = ?3");
  update.text(1, node);
  update.text(2, module);
  update.text(3, token);
  update.blob(4, secret_hash);
  update.integer(5, to_unix(now));
  if (update.run() != SQLITE_DONE) return StoreStatus::kError;
  return sqlite3_changes(db_) > 0 ? StoreStatus::kOk : StoreStatus::kNotFound;
}

StoreStatus SqliteRegistrationStore::remove(std::string_view node) {
  Stmt remove(db_, "DELETE FROM registrations WHERE node = ?1");
  remove.text(1, node);
  if (remove.run() != SQLITE_DONE) return StoreStatus::kError;
  return sqlite3_changes(db_) > 0 ? StoreStatus::kOk : StoreStatus::kNotFound;
}

std::vector<Registration> SqliteRegistrationStore::find_by_token(std::string_view token) {
  std::vector<Registration> out;
  std::string sql =
      std::string("SELECT ") + kColumns + " FROM registrations WHERE token = ?1 ORDER BY node";
  Stmt select(db_, sql.c_str());
  if (!select.ok()) return out;
  select.text(1, token);
  int rc;
  while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) out.push_back(read_row(select.get()));
  if (rc != SQLITE_DONE)
    log::error("sqlite: registrations: lookup by token failed: {}", sqlite3_errmsg(db_));
  return out;
}

size_t SqliteRegistrationStore::erase_by_token(std::string_view token) {
  Stmt remove(db_, "DELETE FROM registrations WHERE token = ?1");
  remove.text(1, token);
  if (remove.run() != SQLITE_DONE) return 0;
  return static_cast<size_t>(sqlite3_changes(db_));
}

size_t SqliteRegistrationStore::erase_dead_token(std::string_view module, std::string_view token,
                                                 std::optional<TimePoint> invalid_since) {
  // A registration renewed after Apple's timestamp holds a token the app got
  // again after it was invalidated: keep it.
  Stmt remove(db_,
              "DELETE FROM registrations WHERE module = ?1 AND token = ?2 "
              "AND (?3 IS NULL OR renewed <= ?3)");
  remove.text(1, module);
  remove.text(2, token);
  remove.optional(3, invalid_since);
  if (remove.run() != SQLITE_DONE) return 0;
  return static_cast<size_t>(sqlite3_changes(db_));
}

size_t SqliteRegistrationStore::expire_renewed_before(TimePoint cutoff) {
  Stmt remove(db_, "DELETE FROM registrations WHERE renewed < ?1");
  remove.integer(1, to_unix(cutoff));
  if (remove.run() != SQLITE_DONE) return 0;
  return static_cast<size_t>(sqlite3_changes(db_));
}

bool SqliteRegistrationStore::record_outcomes(const std::vector<PushOutcome>& outcomes) {
  if (outcomes.empty()) return true;
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    log::error("sqlite: registrations: begin failed: {}", sqlite3_errmsg(db_));
    return false;
  }
  bool ok = true;
  {
    Stmt success(db_,
                 "UPDATE registrations SET last_success = max(coalesce(last_success, 0), ?2) "
                 "WHERE node = ?1");
    Stmt failure(db_,
                 "UPDATE registrations SET last_error = max(coalesce(last_error, 0), ?2) "
                 "WHERE node = ?1");
    for (const PushOutcome& o : outcomes) {
      Stmt& s = o.success ? success : failure;
      if (!s.ok()) {
        ok = false;
        break;
      }
      sqlite3_reset(s.get());
      s.text(1, o.node);
      s.integer(2, to_unix(o.at));
      if (s.run() != SQLITE_DONE) {
        ok = false;
        break;
      }
    }
  }
  sqlite3_exec(db_, ok ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
  return ok;
}

}  // namespace herald::store
