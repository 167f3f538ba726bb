#include "store/push_schema.h"

namespace herald::store {

const std::vector<Migration>& push_migrations() {
  // The exact DDL earlier Herald versions ran, so their databases open as they are.
  static const std::vector<Migration> migrations = {
      {1,
       "CREATE TABLE tombstones ("
       "  token_hash BLOB PRIMARY KEY NOT NULL,"
       "  until INTEGER NOT NULL"
       ") WITHOUT ROWID",
       "CREATE TABLE tombstones ("
       "  token_hash BYTEA PRIMARY KEY,"
       "  until BIGINT NOT NULL)"},
      {2,
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
       "CREATE TABLE registrations ("
       "  node TEXT PRIMARY KEY,"
       "  secret_hash BYTEA NOT NULL,"
       "  module TEXT NOT NULL,"
       "  token TEXT NOT NULL,"
       "  created BIGINT NOT NULL,"
       "  renewed BIGINT NOT NULL,"
       "  last_success BIGINT,"
       "  last_error BIGINT);"
       "CREATE INDEX registrations_token ON registrations (token);"
       "CREATE INDEX registrations_renewed ON registrations (renewed);"},
  };
  return migrations;
}

int64_t to_unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix_seconds(int64_t s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

}  // namespace herald::store
