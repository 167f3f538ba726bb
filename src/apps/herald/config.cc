#include "apps/herald/config.h"

#include "base/config_reader.h"
#include "base/host_port.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <toml++/toml.h>

namespace herald::app {
namespace {

// The shared TOML reading (base/config_reader.h): each table with its key
// prefix for messages.
using Reader = config::Table;
using config::fail;

std::string lowercase_ascii(std::string s) {
  for (char& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
  return s;
}

// [[s2s.certificates]]: the main certificate's domain may be listed only when
// s2s.certificate is not set; no domain twice (SNI picks one certificate).
void read_s2s_certificates(const toml::node& node, const std::string& base, Config& c) {
  auto* entries = node.as_array();
  if (!entries) fail("s2s.certificates", "must be an array of tables ([[s2s.certificates]])");
  std::vector<std::string> seen;
  if (!c.certificate.empty()) seen.push_back(lowercase_ascii(c.domain));
  for (size_t i = 0; i < entries->size(); ++i) {
    std::string prefix = "s2s.certificates[" + std::to_string(i) + "]";
    auto* t = (*entries)[i].as_table();
    if (!t) fail(prefix, "must be a table");
    Reader r(*t, prefix, base);
    r.reject_unknown({"domains", "certificate", "key"});
    Config::S2sCertificate entry;
    r.strings("domains", entry.domains);
    r.path("certificate", entry.certificate);
    r.path("key", entry.key);
    if (entry.domains.empty()) fail(prefix + ".domains", "list the domains this certificate is for");
    if (entry.certificate.empty() || entry.key.empty())
      fail(prefix, "give both certificate and key");
    for (auto& d : entry.domains) {
      d = lowercase_ascii(d);
      if (d.empty() || d.find_first_of(" /:@") != std::string::npos)
        fail(prefix + ".domains", "\"" + d + "\" is not a domain name");
      for (const auto& other : seen)
        if (other == d) fail(prefix + ".domains", "\"" + d + "\" has a certificate already");
      seen.push_back(d);
    }
    c.s2s_certificates.push_back(std::move(entry));
  }
}

FcmModule read_fcm_module(const toml::table& t, const std::string& prefix, const std::string& base) {
  Reader r(t, prefix, base);
  r.reject_unknown({"name", "service", "service_account_file", "project_id", "endpoint",
                    "token_endpoint", "ca_file"});
  FcmModule m;
  r.string("name", m.name);
  if (m.name.empty()) fail(r.key("name"), "every module needs a name");
  r.path("service_account_file", m.service_account_file);
  if (m.service_account_file.empty())
    fail(r.key("service_account_file"), "the Firebase service-account JSON file is required");
  r.string("project_id", m.project_id);
  r.string("endpoint", m.endpoint);
  r.string("token_endpoint", m.token_endpoint);
  for (auto [k, v] : {std::pair{"endpoint", &m.endpoint}, {"token_endpoint", &m.token_endpoint}}) {
    auto hp = v->empty() ? std::nullopt : parse_host_port(*v);
    if (!v->empty() && (!hp || hp->port == 0)) fail(r.key(k), "must be \"host:port\"");
  }
  r.path("ca_file", m.ca_file);
  return m;
}

ApnsModule read_apns_module(const toml::table& t, const std::string& prefix, const std::string& base) {
  Reader r(t, prefix, base);
  r.reject_unknown({"name", "service", "topic", "environment", "endpoint", "ca_file", "team_id", "key_id",
                    "key_file", "push_type", "expiration", "collapse_id", "alert_title", "alert_body",
                    "certificate", "certificate_key", "pkcs12_file", "pkcs12_password", "connections",
                    "max_queue", "ping_interval", "extra_payload"});
  ApnsModule m;
  r.string("name", m.name);
  if (m.name.empty()) fail(r.key("name"), "every module needs a name");
  r.string("topic", m.topic);
  if (m.topic.empty()) fail(r.key("topic"), "the APNs topic (the app's bundle id) is required");
  std::string environment = "production";
  r.string("environment", environment);
  if (environment != "production" && environment != "sandbox")
    fail(r.key("environment"), "must be \"production\" or \"sandbox\"");
  m.sandbox = environment == "sandbox";
  r.string("endpoint", m.endpoint);
  r.path("ca_file", m.ca_file);
  r.string("team_id", m.team_id);
  r.string("key_id", m.key_id);
  r.path("key_file", m.key_file);
  r.path("certificate", m.certificate);
  r.path("certificate_key", m.certificate_key);
  r.path("pkcs12_file", m.pkcs12_file);
  r.string("pkcs12_password", m.pkcs12_password);
  bool cert_auth = !m.certificate.empty() || !m.pkcs12_file.empty();
  bool token_auth = !m.team_id.empty() || !m.key_id.empty() || !m.key_file.empty();
  if (!m.certificate.empty() && !m.pkcs12_file.empty())
    fail(prefix, "give either certificate (PEM) or pkcs12_file, not both");
  if (cert_auth && token_auth)
    fail(prefix, "give either a token key (team_id, key_id, key_file) or a certificate, not both");
  if (!cert_auth && (m.team_id.empty() || m.key_id.empty() || m.key_file.empty()))
    fail(prefix, "team_id, key_id and key_file are required for token authentication "
                 "(or certificate / pkcs12_file for certificate authentication)");
  r.size("connections", m.connections, 1, 16);
  r.size("max_queue", m.max_queue, 1, 1000000);
  r.seconds("ping_interval", m.ping_interval, 0, 3600);
  if (auto* extra = r.table("extra_payload")) {
    if (extra->contains("aps"))
      fail(r.key("extra_payload.aps"), "Herald builds \"aps\" itself; extra keys must sit beside it");
    std::ostringstream json;
    json << toml::json_formatter{*extra};
    m.extra_payload = json.str();
  }
  r.string("push_type", m.push_type);
  if (m.push_type != "alert" && m.push_type != "background" && m.push_type != "voip")
    fail(r.key("push_type"), "must be \"alert\", \"background\" or \"voip\"");
  r.seconds("expiration", m.expiration, 0, 365 * 24 * 3600);
  std::string collapse;
  r.string("collapse_id", collapse);
  if (collapse.size() > 64) fail(r.key("collapse_id"), "APNs allows at most 64 bytes");
  if (!collapse.empty()) m.collapse_id = collapse;
  r.string("alert_title", m.alert_title);
  r.string("alert_body", m.alert_body);
  return m;
}

void read_turn(const toml::table& t, const std::string& base_dir, TurnConfig& turn) {
  Reader r(t, "turn", base_dir);
  r.reject_unknown({"enabled", "listen", "certificate", "key", "domain", "challenge_lifetime",
                    "credential_lifetime", "shared_secrets", "uris", "app", "rate_limit_requests",
                    "rate_limit_window", "max_connections"});
  r.boolean("enabled", turn.enabled);
  r.strings("listen", turn.listen);
  r.path("certificate", turn.certificate);
  r.path("key", turn.key);
  r.string("domain", turn.domain);
  turn.domain = lowercase_ascii(turn.domain);
  r.seconds("challenge_lifetime", turn.challenge_lifetime, 5, 600);
  r.seconds("credential_lifetime", turn.credential_lifetime, 1, 7 * 24 * 3600);
  r.strings("shared_secrets", turn.shared_secrets);
  r.strings("uris", turn.uris);
  r.size("rate_limit_requests", turn.rate_limit_requests, 0, 1000000);
  r.seconds("rate_limit_window", turn.rate_limit_window, 1, 24 * 3600);
  r.size("max_connections", turn.max_connections, 1, 100000);
  if (auto node = t.get("app")) {
    auto* apps = node->as_array();
    if (!apps) fail("turn.app", "must be an array of tables ([[turn.app]])");
    for (size_t i = 0; i < apps->size(); ++i) {
      std::string prefix = "turn.app[" + std::to_string(i) + "]";
      auto* at = (*apps)[i].as_table();
      if (!at) fail(prefix, "must be a table");
      Reader ar(*at, prefix, base_dir);
      ar.reject_unknown({"id", "secret"});
      TurnApp app;
      ar.string("id", app.id);
      ar.string("secret", app.secret);
      if (app.id.empty()) fail(ar.key("id"), "every app needs an id");
      if (app.secret.size() < 16) fail(ar.key("secret"), "must be at least 16 characters");
      for (auto& other : turn.apps)
        if (other.id == app.id) fail(ar.key("id"), "duplicate app id \"" + app.id + "\"");
      turn.apps.push_back(std::move(app));
    }
  }
  if (!turn.enabled) return;
  if (turn.listen.empty()) fail("turn.listen", "at least one address is required");
  for (auto& l : turn.listen)
    if (!parse_host_port(l)) fail("turn.listen", "\"" + l + "\" is not \"ip:port\"");
  if (turn.certificate.empty() != turn.key.empty())
    fail("turn.certificate", "give both certificate and key (HTTPS) or neither (plain HTTP)");
  if (turn.shared_secrets.empty() || turn.shared_secrets.size() > 2)
    fail("turn.shared_secrets", "one secret, or two during a rollover (the first signs)");
  for (auto& s : turn.shared_secrets)
    if (s.size() < 16) fail("turn.shared_secrets", "each secret must be at least 16 characters");
  if (turn.uris.empty()) fail("turn.uris", "list the relay's turn:/turns: URIs");
  for (auto& u : turn.uris)
    if (u.rfind("turn:", 0) != 0 && u.rfind("turns:", 0) != 0 && u.rfind("stun:", 0) != 0)
      fail("turn.uris", "\"" + u + "\" must start with turn:, turns: or stun:");
  if (turn.apps.empty()) fail("turn.app", "at least one [[turn.app]] is required");
}

void read_v1(const toml::table& t, const std::string& base_dir, V1Config& v1) {
  Reader r(t, "v1", base_dir);
  r.reject_unknown({"enabled", "listen", "certificate", "key", "registration_lifetime",
                    "expiry_interval", "flush_interval"});
  r.boolean("enabled", v1.enabled);
  r.strings("listen", v1.listen);
  r.path("certificate", v1.certificate);
  r.path("key", v1.key);
  r.seconds("registration_lifetime", v1.registration_lifetime, 60, 3650L * 24 * 3600);
  r.seconds("expiry_interval", v1.expiry_interval, 1, 24 * 3600);
  r.seconds("flush_interval", v1.flush_interval, 1, 3600);
  for (auto& l : v1.listen)
    if (!parse_host_port(l)) fail("v1.listen", "\"" + l + "\" is not \"ip:port\"");
  if (v1.certificate.empty() != v1.key.empty())
    fail("v1.certificate", "give both certificate and key (HTTPS) or neither (plain HTTP)");
}

bool valid_log_level(const std::string& level) {
  return level == "debug" || level == "info" || level == "warn" || level == "error";
}

// [log]: overrides [server] log_level/log_file (kept for older files).
void read_log(const toml::table& t, const std::string& base_dir, Config& c) {
  Reader r(t, "log", base_dir);
  r.reject_unknown({"level", "format", "file", "region_level", "retention_days", "rotate_megabytes",
                    "rotate_age", "purge_interval"});
  r.string("level", c.log_level);
  if (!valid_log_level(c.log_level)) fail("log.level", "must be debug, info, warn or error");
  r.string("format", c.log_format);
  if (c.log_format != "text" && c.log_format != "json") fail("log.format", "must be \"text\" or \"json\"");
  r.path("file", c.log_file);
  if (auto* levels = r.table("region_level")) {
    for (auto& [region, level] : *levels) {
      auto v = level.value<std::string>();
      if (!v || !valid_log_level(*v))
        fail("log.region_level." + std::string(region.str()), "must be debug, info, warn or error");
      c.log_region_levels[std::string(region.str())] = *v;
    }
  }
  size_t days = 14;
  r.size("retention_days", days, 1, 3650);
  c.log_retention = std::chrono::seconds(int64_t(days) * 24 * 3600);
  size_t megabytes = 64;
  r.size("rotate_megabytes", megabytes, 0, 1 << 20);
  c.log_rotate_bytes = megabytes << 20;
  r.seconds("rotate_age", c.log_rotate_age, 60, 3650L * 24 * 3600);
  // Files are purged at retention - rotate_age after their last line, so
  // no line outlives the retention; that needs rotate_age well below it.
  if (c.log_rotate_age * 2 > c.log_retention)
    fail("log.rotate_age", "must be at most half of retention_days");
  r.seconds("purge_interval", c.log_purge_interval, 1, 24 * 3600);
}

}  // namespace

Config parse_config(std::string_view toml_text, const std::string& base_dir) {
  toml::table root = config::parse(toml_text);
  Config c;
  Reader top(root, "", base_dir);
  top.reject_unknown({"server", "s2s", "push", "turn", "component", "observability", "log", "v1",
                      "store", "redis"});
  if (auto* t = top.table("store")) {
    Reader r(*t, "store", base_dir);
    r.reject_unknown({"backend", "postgresql", "workers", "statement_timeout_ms",
                      "connect_timeout_ms", "queue_timeout_ms"});
    r.string("backend", c.store_backend);
    r.string("postgresql", c.store_postgresql);
    r.size("workers", c.store_workers, 1, 64);
    auto ms = [&](std::string_view key, std::chrono::milliseconds& out) {
      size_t v = size_t(out.count());
      r.size(key, v, 10, 600000);
      out = std::chrono::milliseconds(v);
    };
    ms("statement_timeout_ms", c.store_statement_timeout);
    ms("connect_timeout_ms", c.store_connect_timeout);
    ms("queue_timeout_ms", c.store_queue_timeout);
    if (c.store_backend != "sqlite" && c.store_backend != "postgresql")
      fail("store.backend", "must be \"sqlite\" or \"postgresql\"");
    if (c.store_backend == "postgresql" && c.store_postgresql.empty())
      fail("store.postgresql", "a libpq connection string is required with backend = \"postgresql\"");
  }
  if (auto* t = top.table("redis")) {
    Reader r(*t, "redis", base_dir);
    r.reject_unknown({"address", "password", "key_secret", "timeout_ms"});
    r.string("address", c.redis_address);
    r.string("password", c.redis_password);
    r.string("key_secret", c.redis_key_secret);
    size_t timeout_ms = size_t(c.redis_timeout.count());
    r.size("timeout_ms", timeout_ms, 1, 10000);
    c.redis_timeout = std::chrono::milliseconds(timeout_ms);
    auto hp = parse_host_port(c.redis_address);
    if (!hp || hp->port == 0) fail("redis.address", "must be \"host:port\"");
    if (c.redis_key_secret.size() < 16)
      fail("redis.key_secret", "at least 16 characters, the same on every node");
  }

  if (auto* t = top.table("server")) {
    Reader r(*t, "server", base_dir);
    r.reject_unknown({"domain", "region", "log_level", "log_file", "data_dir", "shutdown_timeout"});
    r.string("domain", c.domain);
    r.string("region", c.region);
    r.string("log_level", c.log_level);
    if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
      fail("server.log_level", "must be debug, info, warn or error");
    r.path("log_file", c.log_file);
    r.path("data_dir", c.data_dir);
    r.seconds("shutdown_timeout", c.shutdown_timeout, 1, 300);
  }
  if (c.domain.empty()) fail("server.domain", "the push domain is required");
  if (auto* t = top.table("log")) read_log(*t, base_dir, c);
  if (auto* t = top.table("v1")) read_v1(*t, base_dir, c.v1);

  if (auto* t = top.table("s2s")) {
    Reader r(*t, "s2s", base_dir);
    r.reject_unknown({"listen", "certificate", "key", "ca_file", "require_tls", "require_valid_certificates",
                      "dialback_secret", "routes", "idle_timeout", "connect_timeout", "max_stanza_bytes",
                      "max_queued_stanzas", "allow_domains", "deny_domains", "max_connections_per_ip",
                      "auth_timeout", "domain_request_rate", "domain_request_burst", "listen_direct_tls",
                      "dns_servers", "bidi", "reply_lifetime", "bidi_outbound", "certificates",
                      "stream_management"});
    r.strings("listen", c.listen);
    r.path("certificate", c.certificate);
    r.path("key", c.key);
    r.path("ca_file", c.ca_file);
    r.boolean("require_tls", c.require_tls);
    r.boolean("require_valid_certificates", c.require_valid_certificates);
    r.string("dialback_secret", c.dialback_secret);
    r.seconds("idle_timeout", c.idle_timeout, 5, 24 * 3600);
    r.seconds("connect_timeout", c.connect_timeout, 1, 300);
    r.size("max_stanza_bytes", c.max_stanza_bytes, 4096, 16 * 1024 * 1024);
    r.size("max_queued_stanzas", c.max_queued_stanzas, 1, 1000000);
    r.strings("listen_direct_tls", c.listen_direct_tls);
    r.strings("dns_servers", c.dns_servers);
    r.boolean("bidi", c.bidi);
    r.boolean("bidi_outbound", c.bidi_outbound);
    r.boolean("stream_management", c.stream_management);
    for (const auto& s : c.dns_servers)
      if (!parse_host_port(s)) fail("s2s.dns_servers", "\"" + s + "\" is not \"ip:port\"");
    r.strings("allow_domains", c.allow_domains);
    r.strings("deny_domains", c.deny_domains);
    r.size("max_connections_per_ip", c.max_connections_per_ip, 0, 1000000);
    r.seconds("auth_timeout", c.auth_timeout, 1, 600);
    r.seconds("reply_lifetime", c.reply_lifetime, 1, 600);
    r.size("domain_request_rate", c.domain_request_rate, 0, 1000000);
    r.size("domain_request_burst", c.domain_request_burst, 1, 1000000);
    if (auto* routes = r.table("routes")) {
      for (auto& [domain, target] : *routes) {
        auto v = target.value<std::string>();
        if (!v || !parse_host_port(*v))
          fail("s2s.routes." + std::string(domain.str()), "must be \"host:port\"");
        c.routes[std::string(domain.str())] = *v;
      }
    }
    if (auto node = t->get("certificates")) read_s2s_certificates(*node, base_dir, c);
  }
  if (auto* t = top.table("component")) {
    Reader r(*t, "component", base_dir);
    r.reject_unknown({"server", "secret"});
    r.string("server", c.component_server);
    r.string("secret", c.component_secret);
    if (!parse_host_port(c.component_server))
      fail("component.server", "must be \"ip:port\" of the XMPP server's component port");
    if (c.component_secret.empty()) fail("component.secret", "the component secret is required");
  }
  if (c.certificate.empty() != c.key.empty())
    fail("s2s.certificate", "give both certificate and key for the push domain");
  if (c.certificate.empty()) {
    // The push domain's certificate may come from [[s2s.certificates]] instead.
    bool listed = false;
    for (const auto& e : c.s2s_certificates)
      for (const auto& d : e.domains) listed = listed || d == lowercase_ascii(c.domain);
    if (!listed)
      fail("s2s.certificate", "a certificate and key for the push domain are required (TLS is mandatory)");
  }

  if (auto* t = top.table("push")) {
    Reader r(*t, "push", base_dir);
    r.reject_unknown({"default_module", "rate_limit_window", "tombstone_lifetime", "bad_token_trust_window",
                      "module"});
    std::string def;
    r.string("default_module", def);
    if (!def.empty()) c.default_module = def;
    r.seconds("rate_limit_window", c.rate_limit_window, 0, 3600);
    r.seconds("tombstone_lifetime", c.tombstone_lifetime, 60, 3650L * 24 * 3600);
    r.seconds("bad_token_trust_window", c.bad_token_trust_window, 60, 30L * 24 * 3600);
    if (auto node = t->get("module")) {
      auto* modules = node->as_array();
      if (!modules) fail("push.module", "must be an array of tables ([[push.module]])");
      for (size_t i = 0; i < modules->size(); ++i) {
        auto* mt = (*modules)[i].as_table();
        std::string prefix = "push.module[" + std::to_string(i) + "]";
        if (!mt) fail(prefix, "must be a table");
        std::string service = "apns";
        Reader(*mt, prefix, base_dir).string("service", service);
        if (service == "fcm") {
          FcmModule m = read_fcm_module(*mt, prefix, base_dir);
          for (auto& other : c.fcm_modules)
            if (other.name == m.name) fail(prefix + ".name", "duplicate module name \"" + m.name + "\"");
          c.fcm_modules.push_back(std::move(m));
          continue;
        }
        if (service != "apns") fail(prefix + ".service", "must be \"apns\" or \"fcm\"");
        ApnsModule m = read_apns_module(*mt, prefix, base_dir);
        for (auto& other : c.apns_modules)
          if (other.name == m.name) fail(prefix + ".name", "duplicate module name \"" + m.name + "\"");
        c.apns_modules.push_back(std::move(m));
      }
    }
  }
  for (auto& f : c.fcm_modules)
    for (auto& a : c.apns_modules)
      if (a.name == f.name) fail("push.module", "duplicate module name \"" + f.name + "\"");
  if (c.apns_modules.empty() && c.fcm_modules.empty())
    fail("push.module", "at least one push module is required");
  if (auto* t = top.table("turn")) read_turn(*t, base_dir, c.turn);
  if (auto* t = top.table("observability")) {
    Reader r(*t, "observability", base_dir);
    r.reject_unknown({"enabled", "listen"});
    r.boolean("enabled", c.observability.enabled);
    r.strings("listen", c.observability.listen);
    if (c.observability.enabled && c.observability.listen.empty())
      fail("observability.listen", "at least one address is required");
    for (auto& l : c.observability.listen)
      if (!parse_host_port(l)) fail("observability.listen", "\"" + l + "\" is not \"ip:port\"");
  }
  if (c.default_module) {
    bool found = false;
    for (auto& m : c.apns_modules) found = found || m.name == *c.default_module;
    for (auto& m : c.fcm_modules) found = found || m.name == *c.default_module;
    if (!found) fail("push.default_module", "names no configured module");
  }
  if (auto it = c.log_region_levels.find(c.region); it != c.log_region_levels.end())
    c.log_level = it->second;
  return c;
}

Config load_config(const std::string& path) {
  std::string text = config::read_file(path);
  auto base = std::filesystem::absolute(path).parent_path().string();
  return parse_config(text, base);
}

}  // namespace herald::app
