#include "app/server.h"

#include <filesystem>
#include <stdexcept>

#include "base/host_port.h"
#include "base/log.h"
#include "http/server.h"
#include "push/apns/apns_upstream.h"
#include "push/app_server.h"
#include "push/fcm/fcm_upstream.h"
#include "push/tombstones.h"
#include "store/sqlite_store.h"
#include "turn/turn_api.h"
#include "xmpp/component_link.h"
#include "xmpp/s2s_service.h"

namespace herald::app {
namespace {

// The s2s transport needs a handler before the app server exists, and the
// app server needs the transport as its sender: this breaks the cycle.
class Forwarder : public xmpp::StanzaHandler {
 public:
  void handle(xml::Element stanza) override {
    if (target) target->handle(std::move(stanza));
  }
  xmpp::StanzaHandler* target = nullptr;
};

xmpp::S2sRoute parse_route(const std::string& domain, const std::string& text) {
  auto host_port = parse_host_port(text);
  if (!host_port || host_port->port == 0)
    throw std::runtime_error("configuration: s2s.routes." + domain + ": must be \"host:port\"");
  xmpp::S2sRoute route;
  route.host = host_port->host;
  route.port = host_port->port;
  return route;
}

xmpp::S2sConfig s2s_config(const Config& c) {
  xmpp::S2sConfig s;
  s.domains.push_back({c.domain, c.certificate, c.key});
  s.listen = c.listen;
  for (const auto& [domain, target] : c.routes) s.routes[domain] = parse_route(domain, target);
  s.extra_ca_file = c.ca_file;
  s.require_tls = c.require_tls;
  s.require_valid_certificates = c.require_valid_certificates;
  s.dialback_secret = c.dialback_secret;
  s.limits.max_stanza_bytes = c.max_stanza_bytes;
  s.connect_timeout = c.connect_timeout;
  s.idle_timeout = c.idle_timeout;
  s.max_queued_stanzas = c.max_queued_stanzas;
  s.listen_direct_tls = c.listen_direct_tls;
  s.dns_servers = c.dns_servers;
  s.bidi = c.bidi;
  s.allow_domains = c.allow_domains;
  s.deny_domains = c.deny_domains;
  s.max_connections_per_ip = c.max_connections_per_ip;
  s.auth_timeout = c.auth_timeout;
  s.domain_request_rate = double(c.domain_request_rate);
  s.domain_request_burst = double(c.domain_request_burst);
  return s;
}

push::apns::ApnsModuleSettings apns_settings(const ApnsModule& m) {
  push::apns::ApnsModuleSettings s;
  s.topic = m.topic;
  s.host = m.sandbox ? "api.sandbox.push.apple.com" : "api.push.apple.com";
  if (!m.endpoint.empty()) {
    auto host_port = parse_host_port(m.endpoint);
    if (!host_port || host_port->port == 0)
      throw std::runtime_error("configuration: module " + m.name + ": endpoint must be host:port");
    s.host = host_port->host;
    s.port = host_port->port;
  }
  using PushType = push::apns::ApnsModuleSettings::PushType;
  s.push_type = m.push_type == "background" ? PushType::background
                : m.push_type == "voip"     ? PushType::voip
                                            : PushType::alert;
  s.alert_title = m.alert_title;
  s.alert_body = m.alert_body;
  s.expiration = m.expiration;
  s.collapse_id = m.collapse_id;
  return s;
}

// Reads the service account (its key is checked here, at start-up) and
// points the module at fcm.googleapis.com unless the configuration overrides it.
std::shared_ptr<push::Upstream> make_fcm_upstream(asio::io_context& io, const FcmModule& m) {
  auto signer = std::make_shared<push::fcm::ServiceAccountSigner>(
      push::fcm::load_service_account(m.service_account_file));
  push::fcm::FcmSettings s;
  s.project_id = m.project_id;
  if (auto hp = parse_host_port(m.endpoint)) {
    s.host = hp->host;
    s.port = hp->port;
  }
  if (auto hp = parse_host_port(m.token_endpoint)) {
    s.token_host = hp->host;
    s.token_port = hp->port;
  }
  return std::make_shared<push::fcm::FcmUpstream>(io, s, signer, m.ca_file);
}

}  // namespace

struct Server::Parts {
  explicit Parts(asio::io_context& io) : purge_timer(io) {}
  void schedule_purge();

  Forwarder forwarder;
  asio::steady_timer purge_timer;
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<push::Tombstones> tombstones;
  std::unique_ptr<xmpp::S2sService> s2s;
  std::shared_ptr<xmpp::ComponentLink> component;  // [component]: replaces s2s for stanzas
  std::unique_ptr<push::AppServer> app_server;
  // TURN fallback credential API, when [turn] is enabled.
  http::Router turn_router;
  std::unique_ptr<turn::TurnApi> turn_api;
  std::unique_ptr<http::Server> turn_http;
};

// Expired tombstones leave memory and disk once an hour, so a dead token's
// hash is kept no longer than its lifetime (PRIVACY.md: keep as little as
// possible, as short as possible).
void Server::Parts::schedule_purge() {
  purge_timer.expires_after(std::chrono::hours(1));
  purge_timer.async_wait([this](std::error_code ec) {
    if (ec) return;
    tombstones->purge_expired(std::chrono::system_clock::now());
    schedule_purge();
  });
}

Server::Server(asio::io_context& io, const Config& config)
    : parts_(std::make_unique<Parts>(io)) {
  std::filesystem::create_directories(config.data_dir);
  std::string db_path = (std::filesystem::path(config.data_dir) / "herald.sqlite").string();
  std::string error;
  parts_->store = store::SqliteStore::open(db_path, &error);
  if (!parts_->store) throw std::runtime_error("store: " + db_path + ": " + error);
  parts_->tombstones = std::make_unique<push::Tombstones>(*parts_->store);

  std::vector<push::PushModuleConfig> modules;
  for (const ApnsModule& m : config.apns_modules) {
    std::shared_ptr<push::apns::JwtSigner> signer;
    try {
      signer = push::apns::JwtSigner::from_file(m.key_file, m.key_id, m.team_id);
    } catch (const std::exception& e) {
      throw std::runtime_error("module " + m.name + ": " + e.what());
    }
    push::PushModuleConfig module;
    module.name = m.name;
    module.kind = push::UpstreamKind::apns;
    module.is_default = config.default_module && *config.default_module == m.name;
    module.upstream =
        std::make_shared<push::apns::ApnsUpstream>(io, apns_settings(m), signer, m.ca_file);
    modules.push_back(std::move(module));
  }

  for (const FcmModule& m : config.fcm_modules) {
    push::PushModuleConfig module;
    module.name = m.name;
    module.kind = push::UpstreamKind::fcm;
    module.is_default = config.default_module && *config.default_module == m.name;
    try {
      module.upstream = make_fcm_upstream(io, m);
    } catch (const std::exception& e) {
      throw std::runtime_error("module " + m.name + ": " + e.what());
    }
    modules.push_back(std::move(module));
  }

  parts_->s2s = std::make_unique<xmpp::S2sService>(io, s2s_config(config), parts_->forwarder);
  push::AppServerOptions options;
  options.rate_limit.window = config.rate_limit_window;
  options.tombstone_lifetime = config.tombstone_lifetime;
  options.recent_success_period = config.bad_token_trust_window;
  xmpp::StanzaSender* sender = parts_->s2s.get();
  if (!config.component_server.empty()) {
    auto hp = parse_host_port(config.component_server);
    xmpp::ComponentConfig cc;
    cc.domain = config.domain;
    cc.host = hp->host;
    cc.port = hp->port;
    cc.secret = config.component_secret;
    cc.limits.max_stanza_bytes = config.max_stanza_bytes;
    cc.max_queued_stanzas = config.max_queued_stanzas;
    parts_->component = std::make_shared<xmpp::ComponentLink>(io, cc, parts_->forwarder);
    sender = parts_->component.get();
  }
  parts_->app_server = std::make_unique<push::AppServer>(io, config.domain, *sender,
                                                         std::move(modules), *parts_->tombstones,
                                                         options);
  parts_->forwarder.target = parts_->app_server.get();

  if (config.turn.enabled) {
    const TurnConfig& t = config.turn;
    turn::TurnApiOptions api;
    for (const TurnApp& a : t.apps) api.apps.push_back({a.id, a.secret});
    api.shared_secrets = t.shared_secrets;
    api.uris = t.uris;
    api.challenge_lifetime = t.challenge_lifetime;
    api.credential_lifetime = t.credential_lifetime;
    api.rate_limit_requests = t.rate_limit_requests;
    api.rate_limit_window = t.rate_limit_window;
    parts_->turn_api = std::make_unique<turn::TurnApi>(std::move(api));
    parts_->turn_api->add_routes(parts_->turn_router);
    http::ServerOptions http_options;
    http_options.name = "turn-api";
    http_options.listen = t.listen;
    http_options.certificate = t.certificate;
    http_options.key = t.key;
    http_options.max_connections = t.max_connections;
    parts_->turn_http = std::make_unique<http::Server>(io, http_options, parts_->turn_router);
  }
}

Server::~Server() = default;

void Server::start() {
  parts_->tombstones->purge_expired(std::chrono::system_clock::now());
  parts_->schedule_purge();
  parts_->s2s->start();
  if (parts_->component) parts_->component->start();
  if (parts_->turn_http) parts_->turn_http->start();
}

bool Server::reload_certificates() {
  try {
    parts_->s2s->reload_certificates();
    return true;
  } catch (const std::exception& e) {
    log::error("reload: {} (keeping the certificates in use)", e.what());
    return false;
  }
}

void Server::stop() {
  parts_->purge_timer.cancel();
  parts_->s2s->stop();
  if (parts_->component) parts_->component->stop();
  if (parts_->turn_http) parts_->turn_http->stop();
}

bool clear_tombstone(const Config& config, const std::string& token) {
  std::string db_path = (std::filesystem::path(config.data_dir) / "herald.sqlite").string();
  std::string error;
  auto store = store::SqliteStore::open(db_path, &error);
  if (!store) throw std::runtime_error("store: " + db_path + ": " + error);
  push::Tombstones tombstones(*store);
  return tombstones.clear(token);
}

std::vector<store::Tombstone> list_tombstones(const Config& config) {
  std::string db_path = (std::filesystem::path(config.data_dir) / "herald.sqlite").string();
  std::string error;
  auto store = store::SqliteStore::open(db_path, &error);
  if (!store) throw std::runtime_error("store: " + db_path + ": " + error);
  return store->load_all();
}

}  // namespace herald::app
