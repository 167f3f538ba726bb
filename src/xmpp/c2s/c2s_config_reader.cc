#include "xmpp/c2s/c2s_config_reader.h"

#include "base/config_reader.h"

namespace herald::xmpp {

C2sConfig default_c2s_config() {
  C2sConfig c;
  c.listen = {"0.0.0.0:5222", "[::]:5222"};
  c.listen_direct_tls = {"0.0.0.0:5223", "[::]:5223"};
  return c;
}

void read_c2s_config(const config::Table& t, C2sConfig& c) {
  t.reject_unknown({"listen", "listen_direct_tls", "allow_plain", "max_stanza_bytes",
                    "auth_timeout", "max_unauthenticated_bytes", "max_auth_attempts",
                    "idle_timeout", "stanza_rate", "stanza_burst", "max_pending_stanzas",
                    "max_connections_per_ip", "max_resources", "unknown_user_secret",
                    "scram_iterations"});
  t.addresses("listen", c.listen);
  t.addresses("listen_direct_tls", c.listen_direct_tls);
  t.boolean("allow_plain", c.allow_plain);
  t.size("max_stanza_bytes", c.limits.max_stanza_bytes, 4096, 16 * 1024 * 1024);
  t.seconds("auth_timeout", c.auth_timeout, 1, 600);
  t.size("max_unauthenticated_bytes", c.max_unauthenticated_bytes, 1024, 16 * 1024 * 1024);
  t.size("max_auth_attempts", c.max_auth_attempts, 1, 100);
  t.seconds("idle_timeout", c.idle_timeout, 5, 7 * 24 * 3600);
  t.number("stanza_rate", c.stanza_rate, 0, 1e6);
  t.number("stanza_burst", c.stanza_burst, 1, 1e6);
  t.size("max_pending_stanzas", c.max_pending_stanzas, 1, 10'000'000);
  t.size("max_connections_per_ip", c.max_connections_per_ip, 0, 1'000'000);
  t.size("max_resources", c.max_resources, 1, 1000);
  t.string("unknown_user_secret", c.unknown_user_secret);
  size_t iterations = c.scram_iterations;
  t.size("scram_iterations", iterations, 4096, 10'000'000);
  c.scram_iterations = uint32_t(iterations);
}

}  // namespace herald::xmpp
