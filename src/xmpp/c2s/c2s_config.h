// Settings of client streams (RFC 6120 c2s), filled by the application from
// its configuration. Plain data.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "xml/stream_parser.h"

namespace herald::xmpp {

struct C2sHostCertificate {
  std::string host;       // a served host domain, e.g. "example.org"
  std::string cert_file;  // PEM chain, leaf first, valid for `host`
  std::string key_file;
};

struct C2sConfig {
  std::vector<C2sHostCertificate> hosts;
  // "address:port": STARTTLS (5222) and direct TLS (XEP-0368, 5223, ALPN
  // "xmpp-client"); port 0 picks one.
  std::vector<std::string> listen;
  std::vector<std::string> listen_direct_tls;
  xml::StreamLimits limits{64 * 1024, 32};
  // Before authentication: the whole negotiation must finish in time, and a
  // stream may not send more than this many bytes (floods of junk).
  std::chrono::milliseconds auth_timeout{30'000};
  size_t max_unauthenticated_bytes = 64 * 1024;
  // SASL attempts per stream before it is closed.
  size_t max_auth_attempts = 3;
  std::chrono::milliseconds idle_timeout{10 * 60'000};
  // Stanzas per second from one authenticated session, with bursts; beyond
  // it reading pauses (back-pressure, not an error). 0: no limit.
  double stanza_rate = 100;
  double stanza_burst = 500;
  // Stanzas written but not yet taken by a client that does not read;
  // beyond it the stream ends with resource-constraint.
  size_t max_pending_stanzas = 10'000;
  // Open connections per client address; 0: no limit. The address is used
  // for this count only, in memory, and never logged or stored.
  size_t max_connections_per_ip = 20;
  // Resources per account; a bind beyond it is refused (resource-constraint).
  size_t max_resources = 10;
  // PLAIN only when true, and only over TLS.
  bool allow_plain = true;
  // An unknown user's SCRAM exchange goes on with a salt derived from the
  // name under this key and with this iteration count, so that it looks
  // like a real account's (RFC 5802 allows telling them apart otherwise).
  // Give every node the same secret; empty: a random one per process.
  // The iteration count should be the one accounts are created with.
  std::string unknown_user_secret;
  uint32_t scram_iterations = 4096;
};

}  // namespace herald::xmpp
