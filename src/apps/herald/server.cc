#include "apps/herald/server.h"

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

#include "net/periodic_job.h"
#include "apps/herald/admin_socket.h"
#include "apps/herald/certificates.h"
#include "apps/herald/status/observability.h"
#include "apps/herald/store_setup.h"
#include "base/host_port.h"
#include "base/log.h"
#include "http/server.h"
#include "push/apns/apns_upstream.h"
#include "push/app_server.h"
#include "push/fcm/fcm_upstream.h"
#include "push/tombstones.h"
#include "push/v1/http_endpoints.h"
#include "push/v1/registrar.h"
#include "push/shared_rate_limiter.h"
#include "base/encoding.h"
#include "store/registration_store.h"
#include "store/tombstone_store.h"
#include "turn/turn_api.h"
#include "xmpp/component_link.h"
#include "xmpp/iq.h"
#include "xmpp/router.h"
#include "xmpp/s2s/s2s_service.h"

namespace herald::app {
namespace {

// Between the transport and the app server: remembers each IQ request until
// its answer goes out, so that a graceful shutdown can wait for in-flight
// publishes and hand back the rest with `wait` (the publisher retries;
// nothing is answered twice: an answer arriving after the hand-back is
// dropped). While draining, new requests are handed back at once.
class InFlight : public xmpp::StanzaHandler, public xmpp::StanzaSender {
 public:
  void handle(xml::Element stanza) override {
    if (is_request(stanza)) {
      if (draining) return sender->send(hand_back_error(stanza));
      xml::Element envelope(stanza.name(), stanza.ns());
      envelope.mutable_attributes() = stanza.attributes();
      pending_.emplace(Key{std::string(stanza.attr_or("from")), std::string(stanza.attr_or("id"))},
                       std::move(envelope));
    }
    if (target) target->handle(std::move(stanza));
  }

  void send(xml::Element stanza) override {
    if (is_answer(stanza)) {
      Key key{std::string(stanza.attr_or("to")), std::string(stanza.attr_or("id"))};
      if (auto it = pending_.find(key); it != pending_.end()) {
        pending_.erase(it);
      } else if (auto h = handed_back_.find(key); h != handed_back_.end()) {
        handed_back_.erase(h);
        log::debug("shutdown: an answer after its hand-back, dropped");
        return;
      }
    }
    sender->send(std::move(stanza));
  }

  size_t size() const { return pending_.size(); }

  // Answers every request still pending with `wait`.
  size_t hand_back_all() {
    size_t n = 0;
    for (auto& [key, envelope] : pending_) {
      sender->send(hand_back_error(envelope));
      handed_back_.insert(key);
      ++n;
    }
    pending_.clear();
    return n;
  }

  xmpp::StanzaHandler* target = nullptr;
  xmpp::StanzaSender* sender = nullptr;
  bool draining = false;

 private:
  using Key = std::pair<std::string, std::string>;  // the requester's address, the IQ id
  static bool is_request(const xml::Element& s) {
    return s.name() == "iq" && (s.attr_or("type") == "set" || s.attr_or("type") == "get");
  }
  static bool is_answer(const xml::Element& s) {
    return s.name() == "iq" && (s.attr_or("type") == "result" || s.attr_or("type") == "error");
  }
  static xml::Element hand_back_error(const xml::Element& iq) {
    return xmpp::make_error(iq, xmpp::ErrorType::wait, "internal-server-error",
                            "push server shutting down, retry later");
  }
  std::multimap<Key, xml::Element> pending_;
  std::multiset<Key> handed_back_;
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
  if (!c.certificate.empty()) s.domains.push_back({c.domain, c.certificate, c.key});
  // [[s2s.certificates]]: one S2sDomain per listed name (SNI picks among them).
  // The push domain goes first: its certificate is the one presented when the
  // peer names no domain (or an unknown one).
  std::string push_domain = c.domain;
  for (char& ch : push_domain)
    if (ch >= 'A' && ch <= 'Z') ch = char(ch - 'A' + 'a');
  for (const auto& e : c.s2s_certificates)
    for (const auto& d : e.domains) {
      xmpp::S2sDomain entry{d == push_domain ? c.domain : d, e.certificate, e.key};
      if (d == push_domain)
        s.domains.insert(s.domains.begin(), std::move(entry));
      else
        s.domains.push_back(std::move(entry));
    }
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
  s.bidi_outbound = c.bidi_outbound;
  s.stream_management = c.stream_management;
  s.allow_domains = c.allow_domains;
  s.deny_domains = c.deny_domains;
  s.max_connections_per_ip = c.max_connections_per_ip;
  s.auth_timeout = c.auth_timeout;
  s.stanza_lifetime = c.reply_lifetime;
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
  s.extra_payload = m.extra_payload;
  s.connections = m.connections;
  s.max_queue = m.max_queue;
  s.ping_interval = m.ping_interval;
  return s;
}

// APNs modules with the same host and credentials share one connection pool
// (and signer): with token auth the topic travels per request, so the
// production module and a Catalyst app of one team use the same connections.
// Pool settings come from the first module of a group.
using ApnsPools = std::map<std::string, std::pair<std::shared_ptr<push::apns::ConnectionPool>,
                                                  std::shared_ptr<push::apns::JwtSigner>>>;

std::shared_ptr<push::apns::ApnsUpstream> make_apns_upstream(asio::io_context& io,
                                                             const ApnsModule& m,
                                                             ApnsPools& pools) {
  push::apns::ApnsModuleSettings s = apns_settings(m);
  push::apns::TlsClientIdentity identity{m.certificate, m.certificate_key, m.pkcs12_file,
                                         m.pkcs12_password};
  std::string key = s.host + "|" + std::to_string(s.port) + "|" + m.ca_file + "|" + m.team_id +
                    "|" + m.key_id + "|" + m.key_file + "|" + m.certificate + "|" +
                    m.certificate_key + "|" + m.pkcs12_file + "|" + m.pkcs12_password;
  auto it = pools.find(key);
  if (it == pools.end()) {
    std::shared_ptr<push::apns::JwtSigner> signer;
    try {
      if (identity.empty()) {
        signer = push::apns::JwtSigner::from_file(m.key_file, m.key_id, m.team_id);
      }
      auto pool = push::apns::ApnsUpstream::make_pool(io, s, m.ca_file, identity);
      it = pools.emplace(key, std::pair{pool, signer}).first;
    } catch (const std::exception& e) {
      throw std::runtime_error("module " + m.name + ": " + e.what());
    }
  }
  return std::make_shared<push::apns::ApnsUpstream>(io, s, it->second.second, it->second.first);
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
  explicit Parts(asio::io_context& io) : shutdown_timer(io) {}

  // [store]: SQLite in data_dir or PostgreSQL; first, so that it is closed
  // last (its workers finish before anything they answer to goes).
  std::unique_ptr<store::Database> database;
  std::unique_ptr<store::TombstoneStore> tombstone_store;
  std::unique_ptr<store::RegistrationStore> registration_store;
  std::unique_ptr<AdminSocket> admin;  // data_dir/herald.sock
  // Transports deliver to the router, which hands what is for the push
  // domain(s) to in_flight → (IQ timer →) app server; answers go back
  // through in_flight and the router to the remote outlet (s2s or the
  // component link).
  xmpp::Router router;
  InFlight in_flight;
  std::unique_ptr<net::PeriodicJob> purge_job;
  asio::steady_timer shutdown_timer;
  std::chrono::seconds shutdown_timeout{5};
  // [observability]: metrics, health and status; always built (it measures
  // cheaply), served only when enabled. Declared before the app server so
  // that it outlives the upstreams it wraps.
  std::unique_ptr<status::Observability> observability;
  std::unique_ptr<CertificateWatch> certificate_watch;  // expiry warnings and metric
  std::unique_ptr<push::SharedRateLimiter> shared_rate_limit;  // [redis]
  std::unique_ptr<push::Tombstones> tombstones;
  // v1 registration, when [v1] is enabled; before the app server, which
  // points at the registrar.
  std::unique_ptr<push::v1::Registrar> registrar;
  std::unique_ptr<xmpp::S2sService> s2s;
  std::shared_ptr<xmpp::ComponentLink> component;  // [component]: replaces s2s for stanzas
  std::unique_ptr<push::AppServer> app_server;
  // TURN fallback credential API, when [turn] is enabled.
  http::Router turn_router;
  std::unique_ptr<turn::TurnApi> turn_api;
  std::unique_ptr<http::Server> turn_http;
  http::Router v1_router;
  std::unique_ptr<http::Server> v1_http;
  std::unique_ptr<net::PeriodicJob> v1_flush_job;
  std::unique_ptr<net::PeriodicJob> v1_expiry_job;
  V1Config v1;
};

Server::Server(asio::io_context& io, const Config& config)
    : parts_(std::make_unique<Parts>(io)) {
  std::filesystem::create_directories(config.data_dir);
  Parts& p = *parts_;
  p.database = open_database(config);
  p.tombstone_store = std::make_unique<store::TombstoneStore>(*p.database);
  p.registration_store = std::make_unique<store::RegistrationStore>(*p.database);
  p.tombstones = std::make_unique<push::Tombstones>(io.get_executor(), *p.tombstone_store);
  if (Status loaded = p.tombstones->load(); !loaded.ok())
    throw std::runtime_error("store: cannot load the tombstones: " + loaded.to_string());
  // `herald tombstones clear` and `herald gdpr erase` erase in the store,
  // then tell this process to forget the tombstone too.
  p.admin = std::make_unique<AdminSocket>(
      io, admin_socket_path(config.data_dir),
      std::map<std::string, AdminSocket::Handler>{
          {"forget-tombstone", [&p](std::string_view hex) -> std::string {
             auto hash = hex_decode(hex);
             if (!hash || hash->size() != 32) return "error a SHA-256 in hex is expected";
             return p.tombstones->clear_hashed(*hash) ? "forgotten" : "none";
           }}});
  // Expired tombstones leave memory and disk once an hour, so a dead token's
  // hash is kept no longer than its lifetime (docs/privacy.md: keep as little as
  // possible, as short as possible).
  parts_->purge_job = std::make_unique<net::PeriodicJob>(io, std::chrono::hours(1), [this] {
    parts_->tombstones->purge_expired(std::chrono::system_clock::now());
  });

  status::ObservabilityOptions obs_options;
  if (config.observability.enabled) obs_options.listen = config.observability.listen;
  obs_options.domain = config.domain;
  obs_options.region = config.region;
  obs_options.version = HERALD_VERSION;
  parts_->observability = std::make_unique<status::Observability>(io, obs_options);
  status::Observability& obs = *parts_->observability;
  parts_->certificate_watch = std::make_unique<CertificateWatch>(io, config, obs.registry());

  std::vector<push::PushModuleConfig> modules;
  ApnsPools apns_pools;
  for (const ApnsModule& m : config.apns_modules) {
    push::PushModuleConfig module;
    module.name = m.name;
    module.kind = push::UpstreamKind::apns;
    module.is_default = config.default_module && *config.default_module == m.name;
    module.upstream = obs.wrap_upstream(
        make_apns_upstream(io, m, apns_pools), m.name, "apns");
    modules.push_back(std::move(module));
  }

  for (const FcmModule& m : config.fcm_modules) {
    push::PushModuleConfig module;
    module.name = m.name;
    module.kind = push::UpstreamKind::fcm;
    module.is_default = config.default_module && *config.default_module == m.name;
    try {
      module.upstream = obs.wrap_upstream(make_fcm_upstream(io, m), m.name, "fcm");
    } catch (const std::exception& e) {
      throw std::runtime_error("module " + m.name + ": " + e.what());
    }
    modules.push_back(std::move(module));
  }

  xmpp::S2sConfig s2s = s2s_config(config);
  // The push domain and the other names of [[s2s.certificates]] are ours.
  parts_->router.add_local(config.domain, parts_->in_flight);
  for (const auto& d : s2s.domains) {
    auto name = xmpp::Router::domain_of(d.name);
    if (name && !parts_->router.is_local(*name)) parts_->router.add_local(*name, parts_->in_flight);
  }
  parts_->s2s = std::make_unique<xmpp::S2sService>(io, std::move(s2s), parts_->router);
  push::AppServerOptions options;
  options.rate_limit.window = config.rate_limit_window;
  if (!config.redis_address.empty()) {
    auto hp = parse_host_port(config.redis_address);
    store::RedisOptions redis;
    redis.host = hp->host;
    redis.port = hp->port;
    redis.password = config.redis_password;
    redis.timeout = config.redis_timeout;
    parts_->shared_rate_limit = std::make_unique<push::SharedRateLimiter>(
        io.get_executor(), options.rate_limit, std::move(redis), config.redis_key_secret);
    options.shared_rate_limit = parts_->shared_rate_limit.get();
  }
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
    parts_->component = std::make_shared<xmpp::ComponentLink>(io, cc, parts_->router);
    sender = parts_->component.get();
  }
  // Single-threaded: the outlet is called on the caller's thread.
  parts_->router.set_remote(*sender);
  parts_->router.start();
  // The IQ timer sits on both sides of the app server to time each publish.
  parts_->in_flight.sender = &parts_->router;
  obs.iq_timer().set_sender(&parts_->in_flight);
  parts_->app_server = std::make_unique<push::AppServer>(io, config.domain, obs.iq_timer(),
                                                         std::move(modules), *parts_->tombstones,
                                                         options);
  obs.iq_timer().set_handler(parts_->app_server.get());
  parts_->in_flight.target = &obs.iq_timer();
  parts_->shutdown_timeout = config.shutdown_timeout;
  obs.set_sources(parts_->app_server.get(), parts_->tombstones.get(), parts_->s2s.get());

  if (config.v1.enabled) {
    parts_->v1 = config.v1;
    std::vector<push::v1::ModuleInfo> v1_modules;
    for (const ApnsModule& m : config.apns_modules)
      v1_modules.push_back({m.name, push::UpstreamKind::apns,
                            config.default_module && *config.default_module == m.name});
    for (const FcmModule& m : config.fcm_modules)
      v1_modules.push_back({m.name, push::UpstreamKind::fcm,
                            config.default_module && *config.default_module == m.name});
    parts_->registrar = std::make_unique<push::v1::Registrar>(
        io.get_executor(), *parts_->registration_store, std::move(v1_modules));
    parts_->app_server->set_v1(parts_->registrar.get());
    // Per-push bookkeeping is written in batches, and registrations not
    // renewed within the lifetime are deleted (docs/privacy.md promise 4).
    p.v1_flush_job = std::make_unique<net::PeriodicJob>(io, p.v1.flush_interval,
                                                   [&p] { p.registrar->flush(); });
    p.v1_expiry_job = std::make_unique<net::PeriodicJob>(
        io, p.v1.expiry_interval, [&p] { p.registrar->expire(p.v1.registration_lifetime); });
    if (!config.v1.listen.empty()) {
      push::v1::add_http_routes(parts_->v1_router, *parts_->registrar);
      http::ServerOptions http_options;
      http_options.name = "v1-registration";
      http_options.listen = config.v1.listen;
      http_options.certificate = config.v1.certificate;
      http_options.key = config.v1.key;
      parts_->v1_http = std::make_unique<http::Server>(io, http_options, parts_->v1_router);
    }
  }

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
  parts_->purge_job->start();
  parts_->s2s->start();
  if (parts_->component) parts_->component->start();
  if (parts_->turn_http) parts_->turn_http->start();
  if (parts_->registrar) {
    parts_->registrar->expire(parts_->v1.registration_lifetime);
    parts_->v1_flush_job->start();
    parts_->v1_expiry_job->start();
  }
  if (parts_->v1_http) parts_->v1_http->start();
  parts_->observability->start();
  parts_->admin->start();
  parts_->certificate_watch->start();
}

bool Server::reload_certificates() {
  // Each listener on its own: a bad TURN file must not keep s2s on the old one.
  bool ok = true;
  auto reload = [&ok](const std::function<void()>& step) {
    try {
      step();
    } catch (const std::exception& e) {
      log::error("reload: {} (keeping the certificates in use)", e.what());
      ok = false;
    }
  };
  reload([this] { parts_->s2s->reload_certificates(); });
  if (parts_->turn_http) reload([this] { parts_->turn_http->reload_certificate(); });
  if (parts_->v1_http) reload([this] { parts_->v1_http->reload_certificate(); });
  parts_->certificate_watch->check();
  return ok;
}

void Server::stop() {
  parts_->purge_job->stop();
  parts_->s2s->stop();
  if (parts_->component) parts_->component->stop();
  if (parts_->turn_http) parts_->turn_http->stop();
  if (parts_->v1_http) parts_->v1_http->stop();
  if (parts_->registrar) {
    parts_->v1_flush_job->stop();
    parts_->v1_expiry_job->stop();
    parts_->registrar->flush();  // written while the loop runs out (shutdown's last bound)
  }
  parts_->observability->stop();
  parts_->admin->stop();
  parts_->certificate_watch->stop();
}

void Server::shutdown(std::function<void()> done) {
  Parts& p = *parts_;
  if (p.in_flight.draining) return;
  p.in_flight.draining = true;
  p.s2s->stop_accepting();
  if (p.turn_http) p.turn_http->stop();
  // The last part of the bound is for handing back and flushing the answers,
  // and a little for the process to exit (closing the store).
  auto start = std::chrono::steady_clock::now();
  auto flush = std::min<std::chrono::steady_clock::duration>(
      std::chrono::seconds(1), std::chrono::milliseconds(p.shutdown_timeout) / 4);
  auto drain_until = start + p.shutdown_timeout - flush - flush / 4;
  // Held pushes were answered `result` already; waiting for their window
  // would lose them, so they go now and are waited for like the rest.
  size_t held = p.app_server->send_held_now();
  log::info("shutdown: not accepting; {} held push(es) sent now; waiting up to {} ms for {} "
            "request(s) in flight",
            held,
            std::chrono::duration_cast<std::chrono::milliseconds>(drain_until - start).count(),
            p.in_flight.size());
  auto poll = std::make_shared<std::function<void()>>();
  *poll = [this, &p, poll, drain_until, flush, done = std::move(done)] {
    // Tombstones still on their way to the store are waited for too.
    bool busy = p.in_flight.size() > 0 || p.app_server->held_sending() > 0 ||
                p.tombstones->unsaved() > 0;
    if (busy && std::chrono::steady_clock::now() < drain_until) {
      p.shutdown_timer.expires_after(std::chrono::milliseconds(20));
      p.shutdown_timer.async_wait([poll](std::error_code ec) {
        if (!ec) (*poll)();
      });
      return;
    }
    size_t handed_back = p.in_flight.hand_back_all();
    log::info("shutdown: {} request(s) handed back with wait; closing streams", handed_back);
    stop();  // streams end with </stream:stream> after what is queued
    p.shutdown_timer.expires_after(flush);
    p.shutdown_timer.async_wait([done, poll](std::error_code) {
      *poll = nullptr;  // ends the self-reference
      done();
    });
  };
  (*poll)();
}

std::shared_ptr<push::Upstream> make_module_upstream(asio::io_context& io, const Config& config,
                                                     const std::string& module) {
  for (const ApnsModule& m : config.apns_modules) {
    if (m.name != module) continue;
    ApnsPools pools;
    return make_apns_upstream(io, m, pools);
  }
  for (const FcmModule& m : config.fcm_modules)
    if (m.name == module) return make_fcm_upstream(io, m);
  throw std::runtime_error("no push module named \"" + module + "\" in the configuration");
}

}  // namespace herald::app
