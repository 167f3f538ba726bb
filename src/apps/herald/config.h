// Herald's configuration: one TOML file, read once at start-up into plain
// structs (configuration as data). load_config() checks everything it can
// without touching the network, so a bad file fails at start with a message
// naming the key, not later in the middle of a push. docs/configuration.md
// is the reference for every key.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace herald::app {

struct ApnsModule {
  std::string name;
  std::string topic;                   // the app's bundle id
  bool sandbox = false;                // api.sandbox.push.apple.com instead of api.push.apple.com
  std::string endpoint;                // "host:port" override, e.g. the simulator
  std::string ca_file;                 // extra CA to trust for the endpoint
  std::string team_id;
  std::string key_id;
  std::string key_file;                // the .p8 token signing key
  // Certificate auth instead of a token key: PEM certificate (+ key), or PKCS#12.
  std::string certificate;
  std::string certificate_key;         // empty: the key is in `certificate`
  std::string pkcs12_file;
  std::string pkcs12_password;
  size_t connections = 2;              // HTTP/2 connections per host and credentials
  size_t max_queue = 1000;             // pushes waiting for a stream; beyond: `wait`
  std::chrono::seconds ping_interval{60};  // PING idle connections; 0: never
  std::string extra_payload;           // JSON object text of [push.module.extra_payload]
  std::string push_type = "alert";     // alert | background | voip
  std::chrono::seconds expiration{28 * 24 * 3600};
  std::optional<std::string> collapse_id;
  std::string alert_title = "New message";
  std::string alert_body = "Open the app to read it";
};

// An Android app's FCM HTTP v1 module ([[push.module]] with service = "fcm").
struct FcmModule {
  std::string name;
  std::string service_account_file;    // the JSON key Firebase's console downloads
  std::string project_id;              // empty: the service account's project_id
  std::string endpoint;                // "host:port" override of fcm.googleapis.com, e.g. fcm-sim
  std::string token_endpoint;          // "host:port" override of the token_uri's host
  std::string ca_file;                 // extra CA to trust for both endpoints
};

// The TURN fallback credential API ([turn], docs/turn.md).
struct TurnApp {
  std::string id;
  std::string secret;
};

struct TurnConfig {
  bool enabled = false;
  std::vector<std::string> listen{"127.0.0.1:8080"};
  std::string certificate;             // with `key`: HTTPS; both empty: plain HTTP (reverse proxy)
  std::string key;
  std::string domain;                  // the name apps reach the API at; empty: the push domain
  std::chrono::seconds challenge_lifetime{30};
  std::chrono::seconds credential_lifetime{12 * 3600};
  std::vector<std::string> shared_secrets;  // the first signs; coturn's static-auth-secret(s)
  std::vector<std::string> uris;
  std::vector<TurnApp> apps;
  size_t rate_limit_requests = 30;     // per client address and window; 0: off
  std::chrono::seconds rate_limit_window{60};
  size_t max_connections = 512;
};

// [observability]: /metrics, /healthz, /readyz, /status on their own
// listener (docs/operations.md). Off unless enabled.
struct ObservabilityConfig {
  bool enabled = false;
  std::vector<std::string> listen{"127.0.0.1:9090"};
};

// v1 registration ([v1], docs/configuration.md): ad-hoc commands always
// when enabled; the HTTP endpoints when `listen` is not empty.
struct V1Config {
  bool enabled = false;
  std::vector<std::string> listen;     // HTTP "ip:port"; empty: no HTTP endpoints
  std::string certificate;             // with `key`: HTTPS
  std::string key;
  std::chrono::seconds registration_lifetime{90 * 24 * 3600};  // deleted when not renewed
  std::chrono::seconds expiry_interval{3600};                  // how often the expiry job runs
  std::chrono::seconds flush_interval{5};  // batched last-success/last-error writes
};

struct Config {
  std::string domain;                  // the push domain, the `jid` apps enable
  std::string region = "default";
  std::string log_level = "info";
  std::string log_file;                // empty: stderr
  std::string data_dir = ".";          // where the SQLite database lives
  // SIGTERM: how long in-flight requests may take before they are handed
  // back with `wait` and Herald exits (the whole shutdown stays within it).
  std::chrono::seconds shutdown_timeout{5};

  // [log] (docs/operations.md "Logging"). log_level above is the effective
  // level: [log] level, or [log.region_level] for this node's region.
  std::string log_format = "text";     // text | json
  std::map<std::string, std::string> log_region_levels;  // region -> level
  std::chrono::seconds log_retention{14 * 24 * 3600};
  size_t log_rotate_bytes = 64u << 20;                   // 0: no rotation by size
  std::chrono::seconds log_rotate_age{24 * 3600};
  std::chrono::seconds log_purge_interval{3600};

  // s2s
  std::vector<std::string> listen{"0.0.0.0:5269", "[::]:5269"};
  std::vector<std::string> listen_direct_tls;  // XEP-0368, e.g. "0.0.0.0:5270"
  std::vector<std::string> dns_servers;        // "ip:port"; empty: /etc/resolv.conf
  bool bidi = true;                            // offer XEP-0288 bidirectional streams
  bool bidi_outbound = true;                   // ask for them on our outgoing streams
  bool stream_management = true;  // XEP-0198 on s2s, both directions

  // [component]: XEP-0114, serve the push domain through a local XMPP
  // server instead of s2s ("host:port" of its component port; empty: off).
  std::string component_server;
  std::string component_secret;
  std::string certificate;
  std::string key;
  // [[s2s.certificates]]: more certificates, presented by SNI. Each listed
  // domain is also served (another name of the push service, e.g. while
  // renaming it); the push domain may be listed instead of s2s.certificate.
  // Reloaded on SIGHUP with the main one.
  struct S2sCertificate {
    std::vector<std::string> domains;  // lowercase
    std::string certificate;
    std::string key;
  };
  std::vector<S2sCertificate> s2s_certificates;
  std::string ca_file;
  bool require_tls = true;
  bool require_valid_certificates = false;
  std::string dialback_secret;         // shared by all nodes of a domain; empty: random per start
  std::map<std::string, std::string> routes;  // domain -> host:port
  std::chrono::seconds idle_timeout{600};
  std::chrono::seconds connect_timeout{10};
  size_t max_stanza_bytes = 64 * 1024;
  size_t max_queued_stanzas = 1000;
  std::vector<std::string> allow_domains;  // empty: every peer domain
  std::vector<std::string> deny_domains;
  size_t max_connections_per_ip = 32;      // 0: no limit
  std::chrono::seconds auth_timeout{30};   // inbound streams must authenticate by then
  size_t domain_request_rate = 50;         // IQ requests per second per peer domain; 0: off
  size_t domain_request_burst = 500;
  // How long an outbound stanza (a reply) may wait for a stream to its
  // domain, retries included: about an IQ's useful life.
  std::chrono::seconds reply_lifetime{30};

  // push
  std::optional<std::string> default_module;
  std::chrono::seconds rate_limit_window{20};
  std::chrono::seconds tombstone_lifetime{30 * 24 * 3600};
  std::chrono::seconds bad_token_trust_window{24 * 3600};
  std::vector<ApnsModule> apns_modules;
  std::vector<FcmModule> fcm_modules;

  // turn
  TurnConfig turn;

  // v1
  V1Config v1;

  // [store]: where tombstones and v1 registrations live. "sqlite" (a file
  // in data_dir, one node) or "postgresql" (shared by several nodes).
  std::string store_backend = "sqlite";
  std::string store_postgresql;        // libpq connection string; never logged
  // The store's bounds (store/database.h): worker threads, and how long a
  // statement, a connection attempt and a wait for a free worker may take.
  // A store call is answered within queue + 1.25 x statement (4.5 s).
  size_t store_workers = 2;
  std::chrono::milliseconds store_statement_timeout{2000};
  std::chrono::milliseconds store_connect_timeout{3000};
  std::chrono::milliseconds store_queue_timeout{2000};

  // [redis]: the per-token rate limit shared by several nodes (empty
  // address: per-node limits only).
  std::string redis_address;           // "host:port"
  std::string redis_password;
  std::string redis_key_secret;        // HMAC key for token keys; same on every node
  std::chrono::milliseconds redis_timeout{50};

  ObservabilityConfig observability;
};

// Parses the TOML text; relative paths are resolved against `base_dir`.
// Throws std::runtime_error with a message naming the offending key.
Config parse_config(std::string_view toml_text, const std::string& base_dir);
Config load_config(const std::string& path);

}  // namespace herald::app
