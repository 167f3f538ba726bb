// Reads what the hub owns from the configuration: the hosts accounts live
// on ([[hosts]]: domain, certificate, key; their certificates also serve
// c2s and s2s) and [sessions] (resource_conflict = "take_over" | "refuse").
#pragma once

#include <string>
#include <vector>

#include "home/core/hub.h"

namespace herald::config {
class Table;
}

namespace herald::home::core {

struct HostConfig {
  std::string domain;       // normalised
  std::string certificate;  // PEM chain, leaf first
  std::string key;
};

// [[hosts]] of `root`: at least one, each domain once. Throws
// std::runtime_error naming the key at fault.
std::vector<HostConfig> read_hosts(const config::Table& root);
void read_sessions(const config::Table& section, HubConfig& config);

}  // namespace herald::home::core
