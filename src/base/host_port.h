// "host:port" as configuration files and command lines write addresses:
// "example.org:5269", "127.0.0.1:0", "[::1]:5269" (IPv6 in brackets).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
};

// nullopt when the text has no host, no port, or a port outside 0..65535.
std::optional<HostPort> parse_host_port(std::string_view text);

}  // namespace herald
