#include "xmpp/s2s/s2s_service.h"

#include <stdexcept>

#include "base/crypto.h"
#include "base/encoding.h"
#include "net/listen.h"
#include "base/log.h"
#include "xmpp/s2s/s2s_stream.h"

namespace herald::xmpp {

namespace {

std::string lowercase(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

std::vector<net::CertificateFiles> certificate_files(const S2sConfig& config) {
  std::vector<net::CertificateFiles> files;
  for (const auto& d : config.domains)
    files.push_back({lowercase(d.name), d.cert_file, d.key_file});
  return files;
}

}  // namespace

S2sService::S2sService(asio::io_context& io, S2sConfig config, StanzaHandler& handler)
    : io_(io),
      config_(std::move(config)),
      handler_(handler),
      secret_(config_.dialback_secret.empty() ? hex_encode(random_bytes(32))
                                              : config_.dialback_secret),
      trust_(std::make_unique<net::TrustStore>(config_.extra_ca_file)),
      resolver_(io, config_.dns_servers),
      policy_(config_) {
  auto files = certificate_files(config_);
  server_tls_ = std::make_unique<net::ServerTls>(files);
  for (const auto& f : files) {
    served_.insert(f.domain);
    client_tls_[f.domain] = net::make_client_context(&f);
  }
}

void S2sService::reload_certificates() {
  // Build everything first, so that a bad file changes nothing.
  auto files = certificate_files(config_);
  auto trust = std::make_unique<net::TrustStore>(config_.extra_ca_file);
  auto server_tls = std::make_unique<net::ServerTls>(files);
  std::map<std::string, std::unique_ptr<asio::ssl::context>> client_tls;
  for (const auto& f : files) client_tls[f.domain] = net::make_client_context(&f);

  trust_ = std::move(trust);
  retired_server_tls_.push_back(std::move(server_tls_));
  server_tls_ = std::move(server_tls);
  for (auto& [domain, ctx] : client_tls_) retired_client_tls_.push_back(std::move(ctx));
  client_tls_ = std::move(client_tls);
  ++tls_generation_;
  log::info("s2s: certificates reloaded for {} domain(s)", files.size());
}

S2sService::~S2sService() {
  stop();
  for (auto& [ptr, session] : inbound_) session->detach();
}

void S2sService::start() {
  for (const auto& text : config_.listen) listen(text, false);
  for (const auto& text : config_.listen_direct_tls) listen(text, true);
}

void S2sService::listen(const std::string& text, bool direct_tls) {
  acceptors_.push_back(net::open_listener(io_, text, "s2s", direct_tls ? " (direct TLS)" : ""));
  accept(*acceptors_.back(), direct_tls);
}

std::vector<asio::ip::tcp::endpoint> S2sService::local_endpoints() const {
  return net::bound_endpoints(acceptors_);
}

void S2sService::accept(asio::ip::tcp::acceptor& acceptor, bool direct_tls) {
  auto prepared = S2sInbound::create(io_, server_tls_->context(), host());
  acceptor.async_accept(
      prepared->tcp(), [this, &acceptor, prepared, direct_tls,
                        generation = tls_generation_](const asio::error_code& ec) {
        if (ec == asio::error::operation_aborted || stopped_) return;
        auto session = prepared;
        if (!ec && generation != tls_generation_) {
          // Prepared with certificates a reload has replaced since.
          session = S2sInbound::create(io_, server_tls_->context(), host());
          session->tcp() = std::move(prepared->tcp());
        }
        if (!ec) {
          log::debug("s2s: accepted a connection");
          inbound_[session.get()] = session;
          asio::error_code ignored;
          auto address = session->tcp().remote_endpoint(ignored).address();
          inbound_address_[session.get()] = address;
          size_t count = ++connections_per_ip_[address];
          size_t limit = config_.max_connections_per_ip;
          if (limit && count > limit) {
            log::info("s2s: refusing a connection: {} already open from its address", limit);
            // On a direct TLS port a plain-text stream error would be noise.
            if (direct_tls)
              session->abort();
            else
              session->refuse("policy-violation", "too many connections from your address");
          } else {
            session->start(direct_tls);
          }
        } else {
          log::warn("s2s: accept failed: {}", ec.message());
        }
        accept(acceptor, direct_tls);
      });
}

bool S2sService::serves(std::string_view domain) const {
  return served_.contains(domain);
}

asio::ssl::context& S2sService::client_tls(const std::string& local_domain) {
  auto it = client_tls_.find(local_domain);
  if (it == client_tls_.end()) return *client_tls_.begin()->second;
  return *it->second;
}

void S2sService::send(xml::Element stanza) {
  if (stopped_) return;
  auto from = s2s::jid_domain(stanza.attr_or("from"));
  auto to = s2s::jid_domain(stanza.attr_or("to"));
  if (!from || !serves(*from) || !to) {
    log::warn("s2s: dropping an outgoing <{}/> without a served 'from' or a valid 'to'",
              stanza.name());
    return;
  }
  if (serves(*to)) {
    // The router delivers to served domains itself; one here would loop.
    log::warn("s2s: dropping an outgoing <{}/> to a domain we serve", stanza.name());
    return;
  }
  if (!peer_allowed(*to)) {
    log::info("s2s: dropping an outgoing <{}/> to a domain the configuration does not allow",
              stanza.name());
    return;
  }
  if (auto b = bidi_.find({*from, *to}); b != bidi_.end() && !b->second->closing()) {
    b->second->send_stanza(stanza);
    return;
  }
  outbound_for(*from, *to).send(std::move(stanza));
}

void S2sService::bidi_ready(S2sInbound* session, const std::string& local,
                            const std::string& remote) {
  log::info("s2s: stanzas to {} go over its bidirectional stream", remote);
  bidi_[{local, remote}] = session;
}

S2sOutbound& S2sService::outbound_for(const std::string& local, const std::string& remote) {
  auto& slot = outbound_[{local, remote}];
  if (!slot) slot = std::make_shared<S2sOutbound>(io_, host(), local, remote);
  return *slot;
}

const S2sOutbound* S2sService::outbound(const std::string& local, const std::string& remote) const {
  auto it = outbound_.find({local, remote});
  return it == outbound_.end() ? nullptr : it->second.get();
}

void S2sService::deliver(xml::Element stanza) {
  handler_.handle(std::move(stanza));
}

void S2sService::verify_dialback(const std::string& local, const std::string& remote,
                                 const std::string& stream_id, const std::string& key,
                                 std::function<void(bool)> done) {
  if (stopped_) {
    done(false);
    return;
  }
  outbound_for(local, remote).verify(stream_id, key, std::move(done));
}

void S2sService::inbound_closed(S2sInbound* session) {
  // Keep the object alive until the callback that reported this returns.
  if (auto a = inbound_address_.find(session); a != inbound_address_.end()) {
    auto c = connections_per_ip_.find(a->second);
    if (c != connections_per_ip_.end() && --c->second == 0) connections_per_ip_.erase(c);
    inbound_address_.erase(a);
  }
  std::erase_if(bidi_, [session](const auto& entry) { return entry.second == session; });
  auto it = inbound_.find(session);
  if (it == inbound_.end()) return;
  asio::post(io_, [keep = it->second] {});
  inbound_.erase(it);
}

void S2sService::requeue(const std::string& peer,
                         std::vector<StreamManagement::Unacked> stanzas) {
  if (stopped_) return;
  auto oldest = StreamManagement::Clock::now() - config_.stanza_lifetime;
  size_t resent = 0, expired = 0;
  for (auto& [stanza, since] : stanzas) {
    auto from = s2s::jid_domain(stanza.attr_or("from"));
    auto to = s2s::jid_domain(stanza.attr_or("to"));
    if (since < oldest || !from || !to) {
      ++expired;
      continue;
    }
    ++resent;
    // Over another bidirectional stream of the peer's if one is up, else
    // over ours, keeping the time it was first queued.
    if (auto b = bidi_.find({*from, *to}); b != bidi_.end() && !b->second->closing())
      b->second->send_stanza(stanza, since);
    else
      outbound_for(*from, *to).send(std::move(stanza), since);
  }
  log::info("s2s inbound from {}: {} stanzas the peer did not acknowledge go out again, {} expired",
            peer.empty() ? std::string("(unknown)") : peer, resent, expired);
}

bool S2sService::peer_allowed(std::string_view domain) const {
  return policy_.domain_allowed(domain);
}

bool S2sService::admit_request(std::string_view domain) {
  bool admitted = policy_.admit_request(domain);
  if (!admitted) ++requests_refused_;
  return admitted;
}

S2sService::Stats S2sService::stats() const {
  Stats s;
  s.inbound = inbound_.size();
  std::set<std::string_view> peers;
  for (const auto& [key, out] : outbound_) {
    peers.insert(key.second);
    s.queued_stanzas += out->queued();
    if (out->ready()) ++s.outbound_ready;
    else if (out->connecting()) ++s.outbound_connecting;
    else ++s.outbound_idle;
  }
  for (const auto& [key, session] : bidi_) peers.insert(key.second);
  s.peer_domains = peers.size();
  s.requests_refused = requests_refused_;
  return s;
}

void S2sService::stop_accepting() {
  for (auto& a : acceptors_) {
    asio::error_code ignored;
    a->close(ignored);
  }
}

void S2sService::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& a : acceptors_) {
    asio::error_code ignored;
    a->close(ignored);
  }
  auto inbound = inbound_;
  for (auto& [ptr, session] : inbound) session->close_stream();
  for (auto& [key, out] : outbound_) out->stop();
}

}  // namespace herald::xmpp
