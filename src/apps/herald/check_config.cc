#include "apps/herald/check_config.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <asio.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/herald/certificates.h"
#include "apps/herald/config.h"
#include "apps/herald/server.h"
#include "base/config_reader.h"
#include "base/log.h"

namespace herald::app {

std::string locate_config_error(const std::string& path, const std::string& toml_text,
                                const std::string& message) {
  return config::locate_error(path, toml_text, message);
}

namespace {

struct FileKey {
  std::string key;   // "push.module[2].key_file"
  std::string path;  // absolute, as load_config() resolved it
};

// The index of the [[push.module]] named `name` in the file (modules are
// kept by service in Config, the file numbers them together).
std::string module_prefix(const toml::table& root, const std::string& name) {
  if (const auto* modules = root["push"]["module"].as_array())
    for (size_t i = 0; i < modules->size(); ++i)
      if (const auto* t = (*modules)[i].as_table())
        if (t->get("name") && (*t)["name"].value_or(std::string()) == name)
          return "push.module[" + std::to_string(i) + "]";
  return "push.module";
}

// Every file the configuration names and serve reads at start.
std::vector<FileKey> files_read(const Config& c, const toml::table& root) {
  std::vector<FileKey> out;
  auto add = [&out](std::string key, const std::string& path) {
    if (!path.empty()) out.push_back({std::move(key), path});
  };
  add("s2s.certificate", c.certificate);
  add("s2s.key", c.key);
  add("s2s.ca_file", c.ca_file);
  for (size_t i = 0; i < c.s2s_certificates.size(); ++i) {
    std::string prefix = "s2s.certificates[" + std::to_string(i) + "].";
    add(prefix + "certificate", c.s2s_certificates[i].certificate);
    add(prefix + "key", c.s2s_certificates[i].key);
  }
  for (const ApnsModule& m : c.apns_modules) {
    std::string prefix = module_prefix(root, m.name) + ".";
    add(prefix + "key_file", m.key_file);
    add(prefix + "ca_file", m.ca_file);
    add(prefix + "certificate", m.certificate);
    add(prefix + "certificate_key", m.certificate_key);
    add(prefix + "pkcs12_file", m.pkcs12_file);
  }
  for (const FcmModule& m : c.fcm_modules) {
    std::string prefix = module_prefix(root, m.name) + ".";
    add(prefix + "service_account_file", m.service_account_file);
    add(prefix + "ca_file", m.ca_file);
  }
  if (c.turn.enabled) {
    add("turn.certificate", c.turn.certificate);
    add("turn.key", c.turn.key);
  }
  if (c.v1.enabled) {
    add("v1.certificate", c.v1.certificate);
    add("v1.key", c.v1.key);
  }
  return out;
}

// "" when `path` is a readable file, else why not.
std::string unreadable(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "no such file";
  if (std::filesystem::is_directory(path, ec)) return "a directory, not a file";
  std::ifstream in(path);
  if (!in) return std::string("cannot be read: ") + std::strerror(errno);
  return "";
}

}  // namespace

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
  // Only what goes wrong reaches the operator (and the journal, as the
  // unit's ExecStartPre): not the info lines of the parts built below.
  log::Options quiet;
  quiet.level = log::Level::warn;
  log::init(quiet);
  if (options.files) {
    toml::table root = toml::parse(text.str());
    // Each problem on its own line, with the key and its line in the file.
    int problems = 0;
    auto report = [&](const std::string& key, const std::string& message) {
      err << locate_config_error(path, text.str(), "configuration: " + key + ": " + message)
          << "\n";
    };
    for (const auto& f : files_read(config, root)) {
      if (std::string why = unreadable(f.path); !why.empty()) {
        report(f.key, f.path + ": " + why);
        ++problems;
      }
    }
    if (problems) return 2;
    for (const auto& p : certificate_problems(config, std::chrono::system_clock::now())) {
      report(p.key, p.error ? p.message : "warning: " + p.message);
      if (p.error) ++problems;
    }
    if (problems) return 2;
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
