#include "store/sqlite_connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "base/log.h"

namespace herald::store {

namespace {

// Leaves a kept statement ready for its next use.
struct StatementReset {
  sqlite3_stmt* stmt;
  ~StatementReset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

Status bind(sqlite3_stmt* stmt, const std::vector<Value>& params) {
  int count = sqlite3_bind_parameter_count(stmt);
  for (int i = 1; i <= count; ++i) {
    // "$N" names parameter N whatever its position in the text.
    const char* name = sqlite3_bind_parameter_name(stmt, i);
    if (!name || name[0] != '$') return Internal("SQLite parameters must be written $N");
    size_t n = std::strtoul(name + 1, nullptr, 10);
    if (n < 1 || n > params.size()) return Internal("SQL parameter out of range");
    const Value& v = params[n - 1];
    int rc = SQLITE_OK;
    if (std::holds_alternative<Null>(v)) {
      rc = sqlite3_bind_null(stmt, i);
    } else if (auto* integer = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, i, *integer);
    } else if (auto* text = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text(stmt, i, text->data(), int(text->size()), SQLITE_STATIC);
    } else {
      const auto& blob = std::get<Blob>(v).bytes;
      rc = sqlite3_bind_blob(stmt, i, blob.data(), int(blob.size()), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) return Internal("SQLite could not bind a parameter");
  }
  return Status::Ok();
}

Value column(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_NULL:
      return Null{};
    case SQLITE_INTEGER:
      return int64_t(sqlite3_column_int64(stmt, i));
    case SQLITE_BLOB: {
      auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
      return Blob{std::string(data ? data : "", size_t(sqlite3_column_bytes(stmt, i)))};
    }
    default: {
      auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      return std::string(data ? data : "", size_t(sqlite3_column_bytes(stmt, i)));
    }
  }
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(
    const std::string& path, std::chrono::milliseconds statement_timeout) {
  if (path.empty() || path == ":memory:")
    return Invalid("SQLite needs a file (workers share it)");
  // Create the file owner-only before SQLite does (it would use the umask);
  // SQLite gives the -wal and -shm files the same mode. Only a file that did
  // not exist: closing a descriptor of a file this process has open drops
  // every POSIX lock the process holds on it, SQLite's included, and then
  // another process closing the file takes itself for the last one and
  // deletes the WAL under us.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    ::close(fd);
  else if (errno != EEXIST)
    return Unavailable("cannot create the database file " + path);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Unavailable("cannot open " + path + ": " + message);
  }
  std::unique_ptr<SqliteConnection> c(new SqliteConnection(db, statement_timeout));
  sqlite3_busy_timeout(db, int(statement_timeout.count()));
  Status s = c->script(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
      " PRAGMA foreign_keys=ON;");
  if (!s.ok()) return Unavailable("cannot set up " + path + ": " + s.message());
  return c;
}

SqliteConnection::SqliteConnection(sqlite3* db, std::chrono::milliseconds statement_timeout)
    : db_(db), statement_timeout_(statement_timeout) {
  sqlite3_progress_handler(db_, 1000, &SqliteConnection::on_progress, this);
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

int SqliteConnection::on_progress(void* self) {
  auto* c = static_cast<SqliteConnection*>(self);
  if (std::chrono::steady_clock::now() < c->deadline_) return 0;
  c->timed_out_ = true;
  return 1;  // interrupts the statement
}

Status SqliteConnection::error(int code, const char* what) {
  int primary = code & 0xff;
  if (primary == SQLITE_CONSTRAINT &&
      (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE))
    return Exists("a row with that key exists");
  if (timed_out_ || primary == SQLITE_INTERRUPT)
    return Timeout(std::string(what) + " took over " + std::to_string(statement_timeout_.count()) +
                   " ms");
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    return Timeout(std::string(what) + ": the database stayed locked");
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN ||
      primary == SQLITE_READONLY)
    return Unavailable(std::string(what) + ": " + sqlite3_errstr(code));
  log::debug("sqlite: {}: {}", what, sqlite3_errmsg(db_));
  return Internal(std::string(what) + ": " + sqlite3_errstr(code));
}

Result<Rows> SqliteConnection::query(std::string_view sql, const std::vector<Value>& params) {
  timed_out_ = false;
  deadline_ = std::chrono::steady_clock::now() + statement_timeout_;
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                nullptr);
    if (rc != SQLITE_OK) return error(rc, "preparing a statement");
    it = statements_.emplace(std::string(sql), stmt).first;
  }
  sqlite3_stmt* stmt = it->second;
  StatementReset reset{stmt};
  if (Status s = bind(stmt, params); !s.ok()) return s;
  Rows out;
  int columns = sqlite3_column_count(stmt);
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return error(sqlite3_extended_errcode(db_), "a statement");
    Row row;
    row.values.reserve(size_t(columns));
    for (int i = 0; i < columns; ++i) row.values.push_back(column(stmt, i));
    out.rows.push_back(std::move(row));
  }
  out.affected = sqlite3_stmt_readonly(stmt) ? 0 : sqlite3_changes64(db_);
  return out;
}

Status SqliteConnection::script(std::string_view sql) {
  timed_out_ = false;
  deadline_ = std::chrono::steady_clock::now() + statement_timeout_;
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(sqlite3_extended_errcode(db_), "a script");
  return Status::Ok();
}

}  // namespace herald::store
