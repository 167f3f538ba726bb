#include "xmpp/s2s/s2s_config_reader.h"

#include "base/config_reader.h"
#include "base/host_port.h"

namespace herald::xmpp {

S2sConfig default_s2s_config() {
  S2sConfig c;
  c.listen = {"0.0.0.0:5269", "[::]:5269"};
  return c;
}

void read_s2s_config(const config::Table& t, S2sConfig& c) {
  t.reject_unknown({"listen", "listen_direct_tls", "ca_file", "require_tls",
                    "require_valid_certificates", "dialback_secret", "routes", "idle_timeout",
                    "connect_timeout", "max_stanza_bytes", "max_queued_stanzas", "allow_domains",
                    "deny_domains", "max_connections_per_ip", "auth_timeout",
                    "domain_request_rate", "domain_request_burst", "dns_servers", "bidi",
                    "bidi_outbound", "stream_management", "stanza_lifetime"});
  t.addresses("listen", c.listen);
  t.addresses("listen_direct_tls", c.listen_direct_tls);
  t.path("ca_file", c.extra_ca_file);
  t.boolean("require_tls", c.require_tls);
  t.boolean("require_valid_certificates", c.require_valid_certificates);
  t.string("dialback_secret", c.dialback_secret);
  t.seconds("idle_timeout", c.idle_timeout, 5, 24 * 3600);
  t.seconds("connect_timeout", c.connect_timeout, 1, 300);
  t.size("max_stanza_bytes", c.limits.max_stanza_bytes, 4096, 16 * 1024 * 1024);
  t.size("max_queued_stanzas", c.max_queued_stanzas, 1, 1'000'000);
  t.strings("allow_domains", c.allow_domains);
  t.strings("deny_domains", c.deny_domains);
  t.size("max_connections_per_ip", c.max_connections_per_ip, 0, 1'000'000);
  t.seconds("auth_timeout", c.auth_timeout, 1, 600);
  t.number("domain_request_rate", c.domain_request_rate, 0, 1e6);
  t.number("domain_request_burst", c.domain_request_burst, 1, 1e6);
  t.addresses("dns_servers", c.dns_servers);
  t.boolean("bidi", c.bidi);
  t.boolean("bidi_outbound", c.bidi_outbound);
  t.boolean("stream_management", c.stream_management);
  t.seconds("stanza_lifetime", c.stanza_lifetime, 1, 600);
  if (const toml::table* routes = t.table("routes")) {
    for (auto& [domain, target] : *routes) {
      std::string key = "routes." + std::string(domain.str());
      auto v = target.value<std::string>();
      auto hp = v ? parse_host_port(*v) : std::nullopt;
      if (!hp || hp->port == 0) t.fail(key, "must be \"host:port\"");
      S2sRoute route;
      route.host = hp->host;
      route.port = hp->port;
      c.routes[std::string(domain.str())] = route;
    }
  }
}

}  // namespace herald::xmpp
