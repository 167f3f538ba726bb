#include "home/core/hub_config_reader.h"

#include "base/config_reader.h"
#include "xmpp/jid.h"

namespace herald::home::core {

std::vector<HostConfig> read_hosts(const config::Table& root) {
  std::vector<HostConfig> hosts;
  for (const config::Table& t : root.array_of_tables("hosts")) {
    t.reject_unknown({"domain", "certificate", "key"});
    HostConfig h;
    t.string("domain", h.domain);
    if (h.domain.empty()) t.fail("domain", "every host needs its domain");
    std::string error;
    auto normal = xmpp::normalize_domain(h.domain, &error);
    if (!normal) t.fail("domain", "\"" + h.domain + "\" is not a domain (" + error + ")");
    h.domain = *normal;
    for (const auto& other : hosts)
      if (other.domain == h.domain) t.fail("domain", "\"" + h.domain + "\" is listed twice");
    t.path("certificate", h.certificate);
    t.path("key", h.key);
    if (h.certificate.empty() || h.key.empty())
      t.fail("certificate", "give both certificate and key (TLS is mandatory)");
    hosts.push_back(std::move(h));
  }
  if (hosts.empty()) root.fail("hosts", "at least one [[hosts]] with domain, certificate and key");
  return hosts;
}

void read_sessions(const config::Table& t, HubConfig& config) {
  t.reject_unknown({"resource_conflict"});
  std::string policy = "take_over";
  t.string("resource_conflict", policy);
  if (policy == "take_over")
    config.conflict = HubConfig::ConflictPolicy::take_over;
  else if (policy == "refuse")
    config.conflict = HubConfig::ConflictPolicy::refuse;
  else
    t.fail("resource_conflict", "must be \"take_over\" or \"refuse\"");
}

}  // namespace herald::home::core
