#include "apps/home/home_store.h"

#include <filesystem>

#include "home/accounts/accounts_schema.h"

namespace herald::home::app {

std::unique_ptr<store::Database> open_home_database(const HomeConfig& config) {
  store::DatabaseOptions options = config.store;
  options.version_table = accounts::kHomeVersionTable;
  try {
    if (options.engine == store::Engine::sqlite) {
      auto dir = std::filesystem::path(options.target).parent_path();
      if (!dir.empty()) std::filesystem::create_directories(dir);
    }
    return store::Database::open(options, accounts::home_migrations());
  } catch (const std::exception& e) {
    throw StoreError(std::string("store: ") + e.what());
  }
}

}  // namespace herald::home::app
