// Where to connect for a remote domain: a static route from the config,
// else DNS SRV (_xmpps-server._tcp for direct TLS and _xmpp-server._tcp,
// merged by priority), else the domain itself on port 5269.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/resolver.h"
#include "xmpp/s2s/s2s_config.h"

namespace herald::xmpp {

struct S2sTarget {
  std::string host;
  uint16_t port = 5269;
  bool direct_tls = false;
  bool operator==(const S2sTarget&) const = default;
};

// The domain in the ASCII form DNS needs (IDNA ToASCII for non-ASCII names);
// nullopt if it cannot be converted.
std::optional<std::string> dns_name(const std::string& domain);

// The static route, if the config has one for `domain`.
std::optional<S2sTarget> static_target(const S2sConfig& config, const std::string& domain);

// Combines SRV answers (each already in RFC 2782 order) into one list in
// priority order, direct TLS first on equal priority; when there are no
// _xmpp-server records it ends with domain:5269 (STARTTLS), so a domain
// whose direct TLS targets all fail is still reached.
std::vector<S2sTarget> targets_from_srv(const std::string& ascii_domain,
                                        const std::vector<net::SrvRecord>& xmpps,
                                        const std::vector<net::SrvRecord>& xmpp);

// Runs the whole lookup (a static route answers at once, inside the call);
// `done` gets at least one target unless the domain
// cannot be converted to ASCII.
void find_s2s_targets(net::Resolver& resolver, const S2sConfig& config, const std::string& domain,
                      std::function<void(std::vector<S2sTarget>)> done);

}  // namespace herald::xmpp
