// The embedded default store: one SQLite database file. Opening creates the
// file if needed, switches it to WAL, and brings the schema up to date through
// numbered migrations recorded in `schema_version`. A database written by a
// newer Herald (higher version) is refused rather than guessed at.
//
// Deleted rows are overwritten (secure_delete), so an erased token hash does
// not linger in free pages. One connection, used from one thread.
#pragma once

#include <memory>
#include <string>

#include "store/tombstone_store.h"

struct sqlite3;

namespace herald::store {

class SqliteStore : public TombstoneStore {
 public:
  // Opens (creating if missing) the database at `path` (":memory:" for a
  // private in-memory database). Returns nullptr and sets *error on failure.
  static std::unique_ptr<SqliteStore> open(const std::string& path, std::string* error);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // The schema version this build writes.
  static int latest_schema_version();
  int schema_version();

  std::vector<Tombstone> load_all() override;
  bool put(std::string_view token_hash, std::chrono::system_clock::time_point until) override;
  bool erase(std::string_view token_hash) override;
  size_t purge_expired(std::chrono::system_clock::time_point now) override;

  // The connection, for the v1 registration store on the same file
  // (sqlite_registration_store.h); same thread rules.
  sqlite3* handle() { return db_; }

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  bool exec(const char* sql, std::string* error);
  bool migrate(std::string* error);

  sqlite3* db_;
};

}  // namespace herald::store
