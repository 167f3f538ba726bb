// herald-home's schema on store::Database (either engine), versioned in its
// own table (kHomeVersionTable) so that it may share a PostgreSQL database
// with the push service.
//
// Versions (append-only; a released one never changes):
//   1: accounts(id, host, username, created_on) UNIQUE(host, username);
//      account_scram(account_id -> accounts(id) ON DELETE CASCADE, hash,
//        salt, iterations, stored_key, server_key), one row per hash
//        ('sha1', 'sha256', 'sha512').
// What is kept of an account is exactly this: its name, the day (a date,
// YYYY-MM-DD, never a time) it was created, and the SCRAM keys of RFC 5802.
// No password in any form a login could replay, no login time, no address.
#pragma once

#include <vector>

#include "store/database.h"

namespace herald::home::accounts {

const std::vector<store::Migration>& home_migrations();
inline constexpr int kHomeSchemaVersion = 1;
inline constexpr const char* kHomeVersionTable = "home_schema_version";

}  // namespace herald::home::accounts
