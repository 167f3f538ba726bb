// herald-home's configuration: one TOML file (docs/home/configuration.md),
// read once at start-up. The application reads [server] and [log] itself;
// every other section goes to the reader of the component that owns it:
// [[hosts]] and [sessions] to home/core, [c2s] to xmpp/c2s, [s2s] to
// xmpp/s2s, [store] to store. load_home_config() checks everything it can
// without touching the network or the files the keys name.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/log.h"
#include "home/core/hub.h"
#include "home/core/hub_config_reader.h"
#include "store/database.h"
#include "xmpp/c2s/c2s_config.h"
#include "xmpp/s2s/s2s_config.h"

namespace herald::home::app {

struct HomeConfig {
  // [server]
  size_t threads = 0;  // event loops; 0: one per core
  size_t cpu_threads = 0;  // CPU-heavy work (PBKDF2); 0: half the loops, at least one
  std::string data_dir = ".";
  std::chrono::seconds shutdown_timeout{5};
  // [log]
  log::Options log;
  // The components' own settings, hosts filled in.
  std::vector<core::HostConfig> hosts;
  core::HubConfig hub;
  xmpp::C2sConfig c2s;
  xmpp::S2sConfig s2s;
  store::DatabaseOptions store;
};

// Relative paths are resolved against `base_dir`. Throws
// std::runtime_error "configuration: KEY: PROBLEM".
HomeConfig parse_home_config(std::string_view toml_text, const std::string& base_dir);
HomeConfig load_home_config(const std::string& path);

}  // namespace herald::home::app
