// Reads a [store] section into store::DatabaseOptions (database.h):
//   engine = "sqlite" (default) | "postgresql"
//   path = "home.sqlite"          SQLite file, relative to the data dir
//   postgresql = "host=... dbname=..."   libpq connection string (never logged)
//   workers, queue_timeout, statement_timeout, connect_timeout (seconds)
#pragma once

#include <string>

#include "store/database.h"

namespace herald::config {
class Table;
}

namespace herald::store {

// `default_sqlite_file`: where SQLite lives when `path` is not given (an
// absolute path, e.g. inside the data dir). Throws std::runtime_error
// naming the key at fault.
void read_database_options(const config::Table& section, const std::string& default_sqlite_file,
                           DatabaseOptions& options);

}  // namespace herald::store
