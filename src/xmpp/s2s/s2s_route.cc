#include "xmpp/s2s/s2s_route.h"

#include <idna.h>

#include <cstdlib>
#include <memory>

namespace herald::xmpp {

std::optional<std::string> dns_name(const std::string& domain) {
  bool ascii = true;
  for (unsigned char c : domain)
    if (c >= 0x80) ascii = false;
  if (ascii) return domain;
  char* out = nullptr;
  if (idna_to_ascii_8z(domain.c_str(), &out, 0) != IDNA_SUCCESS) return std::nullopt;
  std::string result(out);
  std::free(out);
  return result;
}

std::optional<S2sTarget> static_target(const S2sConfig& config, const std::string& domain) {
  auto it = config.routes.find(domain);
  if (it == config.routes.end()) return std::nullopt;
  return S2sTarget{it->second.host, it->second.port, it->second.direct_tls};
}

std::vector<S2sTarget> targets_from_srv(const std::string& ascii_domain,
                                        const std::vector<net::SrvRecord>& xmpps,
                                        const std::vector<net::SrvRecord>& xmpp) {
  std::vector<S2sTarget> targets;
  auto strip_dot = [](std::string host) {
    if (!host.empty() && host.back() == '.') host.pop_back();
    return host;
  };
  // XEP-0368: both record sets form one list ordered by priority; on equal
  // priority direct TLS goes first (it saves a round trip). Each input is
  // already in RFC 2782 order, so a stable merge keeps the weight choice.
  size_t i = 0, j = 0;
  while (i < xmpps.size() || j < xmpp.size()) {
    bool take_tls = j >= xmpp.size() || (i < xmpps.size() && xmpps[i].priority <= xmpp[j].priority);
    if (take_tls) {
      targets.push_back({strip_dot(xmpps[i].target), xmpps[i].port, true});
      ++i;
    } else {
      targets.push_back({strip_dot(xmpp[j].target), xmpp[j].port, false});
      ++j;
    }
  }
  // RFC 6120 3.2.1: with no _xmpp-server records, STARTTLS on the domain's
  // own address and port 5269 is the last resort, also when every direct
  // TLS target failed.
  if (xmpp.empty()) targets.push_back({ascii_domain, 5269, false});
  return targets;
}

void find_s2s_targets(net::Resolver& resolver, const S2sConfig& config, const std::string& domain,
                      std::function<void(std::vector<S2sTarget>)> done) {
  if (auto route = static_target(config, domain)) {
    std::vector<S2sTarget> targets{*route};
    done(std::move(targets));
    return;
  }
  auto ascii = dns_name(domain);
  if (!ascii) {
    done({});
    return;
  }
  auto name = *ascii;
  resolver.query_srv("_xmpps-server._tcp." + name, [&resolver, name, done = std::move(done)](
                                                       std::vector<net::SrvRecord> xmpps) {
    resolver.query_srv("_xmpp-server._tcp." + name,
                       [name, done, xmpps = std::move(xmpps)](std::vector<net::SrvRecord> xmpp) {
                         done(targets_from_srv(name, xmpps, xmpp));
                       });
  });
}

}  // namespace herald::xmpp
