// The push service's database as the configuration names it ([store]):
// `herald.sqlite` in data_dir, or the shared PostgreSQL database, with the
// configured bounds; for `serve` and for the operator's commands alike.
#pragma once

#include <iosfwd>
#include <memory>

#include "apps/herald/config.h"
#include "store/database.h"

namespace herald::app {

store::DatabaseOptions database_options(const Config& config);
// Opens and migrates (push_schema.h). Start-up only: throws
// std::runtime_error with a clear message (never the connection string).
std::unique_ptr<store::Database> open_database(const Config& config);
// For the operator's commands: nullptr once `err` has been told why.
std::unique_ptr<store::Database> open_database(const Config& config, std::ostream& err);

}  // namespace herald::app
