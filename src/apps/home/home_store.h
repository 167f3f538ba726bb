// How herald-home opens its database: [store] as configured (by default
// SQLite in data_dir/home.sqlite, the directory created if missing), with
// the accounts' migrations applied (home/accounts/accounts_schema.h).
// Start-up and command-line tools only. Throws StoreError with a clear
// message when the database cannot be opened or migrated.
#pragma once

#include <memory>
#include <stdexcept>

#include "apps/home/config.h"
#include "store/database.h"

namespace herald::home::app {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::unique_ptr<store::Database> open_home_database(const HomeConfig& config);

}  // namespace herald::home::app
