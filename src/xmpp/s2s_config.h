// Settings of the s2s transport, filled by the app from its TOML file.
// Plain data; S2sService validates what it needs at construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "xml/stream_parser.h"

namespace herald::xmpp {

struct S2sDomain {
  std::string name;       // the served domain, e.g. "push.example.org"
  std::string cert_file;  // PEM chain, leaf first, valid for `name`
  std::string key_file;
};

struct S2sRoute {
  std::string host;  // a host name or an IP literal (IPv6 without brackets)
  uint16_t port = 5269;
  bool direct_tls = false;  // XEP-0368 style: TLS from the first byte
};

struct S2sConfig {
  std::vector<S2sDomain> domains;
  // "address:port", e.g. "0.0.0.0:5269" and "[::]:5269"; port 0 picks one.
  std::vector<std::string> listen;
  // Remote domain -> where to connect, bypassing DNS (tests, private peers).
  std::map<std::string, S2sRoute> routes;
  std::string extra_ca_file;  // trusted besides the system CA store
  bool require_tls = true;
  // false: a peer whose certificate we cannot verify may still authenticate
  // with dialback. true: only SASL EXTERNAL (or dialback backed by a valid
  // certificate) is accepted, in both directions.
  bool require_valid_certificates = false;
  // XEP-0185 secret; shared by all nodes serving the same domains. Empty: a
  // random one per process (fine for a single node).
  std::string dialback_secret;
  xml::StreamLimits limits;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{10 * 60'000};
  size_t max_queued_stanzas = 1000;  // per outbound stream
  std::chrono::milliseconds reconnect_backoff_initial{1'000};
  std::chrono::milliseconds reconnect_backoff_max{60'000};
};

}  // namespace herald::xmpp
