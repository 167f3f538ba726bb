#include "apps/herald/check_config.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <asio.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "apps/herald/config.h"
#include "apps/herald/server.h"

namespace herald::app {

std::string locate_config_error(const std::string& path, const std::string& toml_text,
                                const std::string& message) {
  std::string text = message;
  const std::string prefix = "configuration: ";
  if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
  // Syntax errors already carry their line.
  std::smatch m;
  static const std::regex line_re("^line ([0-9]+): (.*)$");
  if (std::regex_match(text, m, line_re)) return path + ":" + m[1].str() + ": " + m[2].str();
  auto colon = text.find(": ");
  if (colon == std::string::npos) return path + ": " + text;
  std::string key = text.substr(0, colon);
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error&) {
    return path + ": " + text;
  }
  // The key itself, else the closest enclosing table that exists.
  std::string probe = key;
  while (!probe.empty()) {
    toml::node_view<toml::node> node = toml::at_path(root, probe);
    if (node && node.node()->source().begin.line > 0)
      return path + ":" + std::to_string(node.node()->source().begin.line) + ": " + text;
    auto cut = probe.find_last_of(".[");
    if (cut == std::string::npos) break;
    probe = probe.substr(0, cut);
  }
  return path + ": " + text;
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
