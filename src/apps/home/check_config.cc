#include "apps/home/check_config.h"

#include <filesystem>
#include <fstream>

#include "apps/home/config.h"
#include "base/config_reader.h"
#include "net/certificate_info.h"
#include "net/loop_pool.h"
#include "net/tls.h"

namespace herald::home::app {

int run_check_config(const std::string& path, std::ostream& out, std::ostream& err,
                     std::chrono::system_clock::time_point now) {
  std::string text;
  HomeConfig config;
  try {
    text = config::read_file(path);
    config = load_home_config(path);
  } catch (const std::exception& e) {
    err << (text.empty() ? path + ": " + e.what() : config::locate_error(path, text, e.what())) << "\n";
    return 2;
  }
  int problems = 0;
  auto report = [&](const std::string& key, const std::string& problem) {
    err << config::locate_error(path, text, "configuration: " + key + ": " + problem) << "\n";
    ++problems;
  };
  for (size_t i = 0; i < config.hosts.size(); ++i) {
    const core::HostConfig& h = config.hosts[i];
    std::string prefix = "hosts[" + std::to_string(i) + "].";
    auto info = net::read_certificate(h.certificate);
    if (!info.ok()) {
      report(prefix + "certificate", h.certificate + ": " + info.status().message());
    } else if (Status s = net::certificate_problem(*info, h.domain, now); !s.ok()) {
      report(prefix + "certificate", h.certificate + " " + s.message());
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(h.key, ec) || !std::ifstream(h.key))
      report(prefix + "key", h.key + ": no such readable file");
  }
  if (problems == 0) {
    // Loads every certificate with its key, as serve does: a key that does
    // not belong to its certificate fails here.
    std::vector<net::CertificateFiles> files;
    for (const auto& h : config.hosts) files.push_back({h.domain, h.certificate, h.key});
    try {
      net::ServerTls tls(files);
    } catch (const std::exception& e) {
      report("hosts", e.what());
    }
  }
  if (!config.s2s.extra_ca_file.empty() && !std::ifstream(config.s2s.extra_ca_file))
    report("s2s.ca_file", config.s2s.extra_ca_file + ": no such readable file");
  if (problems) return 2;
  size_t loops = config.threads ? config.threads : net::default_loop_count();
  out << "configuration OK: " << path << " (" << config.hosts.size() << " host(s), " << loops
      << " event loop(s))\n";
  return 0;
}

}  // namespace herald::home::app
