// One SQLite connection for a store::Database worker (database.h): the file
// in WAL mode (readers never wait for the writer), secure_delete (an erased
// row is overwritten, not left in free pages), foreign keys enforced (so an
// account's rows go with it), synchronous=NORMAL (safe against a killed
// process; a power cut may lose the last commits). The file is created
// readable by its owner only.
//
// Bounds: busy_timeout waits for another connection's lock; the progress
// handler interrupts a statement that runs past the statement timeout.
// Statements are prepared once per connection and kept.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "store/database.h"

struct sqlite3;
struct sqlite3_stmt;

namespace herald::store {

class SqliteConnection : public Connection {
 public:
  // Opens (creating if missing) the file; `unavailable` with SQLite's message.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path,
                                                        std::chrono::milliseconds statement_timeout);
  ~SqliteConnection() override;

  Engine engine() const override { return Engine::sqlite; }
  Result<Rows> query(std::string_view sql, const std::vector<Value>& params) override;
  Status script(std::string_view sql) override;

 private:
  SqliteConnection(sqlite3* db, std::chrono::milliseconds statement_timeout);
  Status error(int code, const char* what);
  static int on_progress(void* self);

  sqlite3* db_;
  std::chrono::milliseconds statement_timeout_;
  std::chrono::steady_clock::time_point deadline_{};
  bool timed_out_ = false;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

}  // namespace herald::store
