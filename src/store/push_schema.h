// The push service's schema on store::Database, and how `herald` opens it.
//
// Versions (append-only; released ones never change, so databases written
// by earlier Herald versions, SQLite files and PostgreSQL alike, open and
// keep their data). The version lives in `schema_version`, one row:
//   1: tombstones(token_hash BLOB/BYTEA PRIMARY KEY, until INTEGER/BIGINT)
//   2: registrations(node TEXT PRIMARY KEY, secret_hash BLOB/BYTEA NOT NULL,
//        module TEXT NOT NULL, token TEXT NOT NULL, created, renewed NOT NULL,
//        last_success, last_error NULL); indexes on (token) and (renewed).
// Times are whole unix seconds. Exactly the fields docs/privacy.md allows:
// no JID, no IP, no plaintext secret.
#pragma once

#include <vector>

#include "store/database.h"

namespace herald::store {

const std::vector<Migration>& push_migrations();
inline constexpr int kPushSchemaVersion = 2;

// Whole unix seconds, as stored.
int64_t to_unix_seconds(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_unix_seconds(int64_t s);

}  // namespace herald::store
