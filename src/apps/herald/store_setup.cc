#include "apps/herald/store_setup.h"

#include <filesystem>
#include <ostream>

#include "store/push_schema.h"

namespace herald::app {

store::DatabaseOptions database_options(const Config& config) {
  store::DatabaseOptions o;
  if (config.store_backend == "postgresql") {
    o.engine = store::Engine::postgres;
    o.target = config.store_postgresql;
  } else {
    o.engine = store::Engine::sqlite;
    o.target = (std::filesystem::path(config.data_dir) / "herald.sqlite").string();
  }
  o.workers = config.store_workers;
  o.statement_timeout = config.store_statement_timeout;
  o.connect_timeout = config.store_connect_timeout;
  o.queue_timeout = config.store_queue_timeout;
  return o;
}

std::unique_ptr<store::Database> open_database(const Config& config) {
  return store::Database::open(database_options(config), store::push_migrations());
}

std::unique_ptr<store::Database> open_database(const Config& config, std::ostream& err) {
  try {
    return open_database(config);
  } catch (const std::exception& e) {
    err << "herald: " << e.what() << "\n";
    return nullptr;
  }
}

}  // namespace herald::app
