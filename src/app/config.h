// Herald's configuration: one TOML file, read once at start-up into plain
// structs (configuration as data). load_config() checks everything it can
// without touching the network, so a bad file fails at start with a message
// naming the key, not later in the middle of a push. docs/configuration.md
// is the reference for every key.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald::app {

struct ApnsModule {
  std::string name;
  std::string topic;                   // the app's bundle id
  bool sandbox = false;                // api.sandbox.push.apple.com instead of api.push.apple.com
  std::string endpoint;                // "host:port" override, e.g. the simulator
  std::string ca_file;                 // extra CA to trust for the endpoint
  std::string team_id;
  std::string key_id;
  std::string key_file;                // the .p8 token signing key
  std::string push_type = "alert";     // alert | background | voip
  std::chrono::seconds expiration{28 * 24 * 3600};
  std::optional<std::string> collapse_id;
  std::string alert_title = "New message";
  std::string alert_body = "Open the app to read it";
};

struct Config {
  std::string domain;                  // the push domain, the `jid` apps enable
  std::string region = "default";
  std::string log_level = "info";
  std::string log_file;                // empty: stderr
  std::string data_dir = ".";          // where the SQLite database lives

  // s2s
  std::vector<std::string> listen{"0.0.0.0:5269", "[::]:5269"};
  std::string certificate;
  std::string key;
  std::string ca_file;
  bool require_tls = true;
  bool require_valid_certificates = false;
  std::string dialback_secret;         // shared by all nodes of a domain; empty: random per start
  std::map<std::string, std::string> routes;  // domain -> host:port
  std::chrono::seconds idle_timeout{600};
  std::chrono::seconds connect_timeout{10};
  size_t max_stanza_bytes = 64 * 1024;
  size_t max_queued_stanzas = 1000;

  // push
  std::optional<std::string> default_module;
  std::chrono::seconds rate_limit_window{20};
  std::chrono::seconds tombstone_lifetime{30 * 24 * 3600};
  std::chrono::seconds bad_token_trust_window{24 * 3600};
  std::vector<ApnsModule> apns_modules;
};

// Parses the TOML text; relative paths are resolved against `base_dir`.
// Throws std::runtime_error with a message naming the offending key.
Config parse_config(std::string_view toml_text, const std::string& base_dir);
Config load_config(const std::string& path);

}  // namespace herald::app
