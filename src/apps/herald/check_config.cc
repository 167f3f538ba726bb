#include "apps/herald/check_config.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <asio.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/herald/config.h"
#include "apps/herald/server.h"
#include "base/config_reader.h"

namespace herald::app {

std::string locate_config_error(const std::string& path, const std::string& toml_text,
                                const std::string& message) {
  return config::locate_error(path, toml_text, message);
}

int run_check_config(const std::string& path, const CheckOptions& options, std::ostream& out,
                     std::ostream& err) {
  std::ifstream in(path);
  if (!in) {
    err << path << ": cannot read the file\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  Config config;
  try {
    config = load_config(path);
  } catch (const std::exception& e) {
    err << locate_config_error(path, text.str(), e.what()) << "\n";
    return 2;
  }
  if (options.files) {
    // Built as `serve` would build it, but on a throwaway SQLite store: a
    // check must not create or migrate the operator's database (as root it
    // would leave a root-owned file where the service later runs).
    std::error_code ec;
    std::filesystem::path scratch =
        std::filesystem::temp_directory_path(ec) / ("herald-check-" + std::to_string(::getpid()));
    Config probe = config;
    probe.store_backend = "sqlite";
    probe.data_dir = scratch.string();
    int rc = 0;
    try {
      asio::io_context io(1);
      Server server(io, probe);
    } catch (const std::exception& e) {
      err << path << ": " << e.what() << "\n";
      rc = 2;
    }
    std::filesystem::remove_all(scratch, ec);
    if (rc != 0) return rc;
  }
  size_t modules = config.apns_modules.size() + config.fcm_modules.size();
  out << "configuration OK: " << path << " (domain " << config.domain << ", region "
      << config.region << ", " << modules << " push module(s)"
      << (options.files ? "" : "; files not checked") << ")\n";
  return 0;
}

}  // namespace herald::app
