// The s2s transport: listens for peers, opens streams to them, and connects
// both to the rest of Herald through StanzaSender / StanzaHandler.
//
// Contract: single-threaded on the given io_context. start() binds every
// configured listen endpoint (throws std::runtime_error naming the endpoint
// if it cannot, e.g. the port is in use). It is the remote outlet of an
// xmpp::Router: send() takes stanzas for other servers and sends each over
// our own outbound stream to its 'to' domain (peers never send replies back
// over their inbound stream), or over a peer's bidi stream; a stanza for a
// domain we serve is dropped (the router delivers those). What inbound
// streams accept goes to the handler (the router). stop() closes every stream with
// </stream:stream>; destroy the service only once the io_context no longer
// runs its handlers (or after stop() and a final run()).
#pragma once

#include <asio.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "net/listen.h"
#include "net/resolver.h"
#include "net/tls.h"
#include "xmpp/s2s/s2s_config.h"
#include "xmpp/s2s/s2s_host.h"
#include "xmpp/s2s/s2s_inbound.h"
#include "xmpp/s2s/s2s_outbound.h"
#include "xmpp/s2s/s2s_policy.h"
#include "xmpp/stanza_channel.h"

namespace herald::xmpp {

class S2sService : public StanzaSender, private S2sHost {
 public:
  // Loads the certificates (throws std::runtime_error naming a file that
  // does not load).
  S2sService(asio::io_context& io, S2sConfig config, StanzaHandler& handler);
  ~S2sService() override;

  void start();
  // The bound addresses, with the actual ports when port 0 was configured.
  std::vector<asio::ip::tcp::endpoint> local_endpoints() const;
  void send(xml::Element stanza) override;
  void stop();
  // Closes the listeners only; open streams go on (a graceful shutdown
  // drains them, then calls stop()).
  void stop_accepting();
  // Re-reads every certificate, key and the extra CA file (e.g. on SIGHUP
  // after a renewal). All or nothing: on any error the current ones stay and
  // std::runtime_error names the file. Connections accepted or opened from
  // now on use the new ones; open connections are left as they are.
  void reload_certificates();
  // Adds or replaces a static route (e.g. once a peer's port is known).
  void set_route(const std::string& domain, S2sRoute route) { config_.routes[domain] = route; }

  // For tests and metrics.
  size_t inbound_count() const { return inbound_.size(); }
  bool has_bidi(const std::string& local, const std::string& remote) const {
    return bidi_.contains({local, remote});
  }
  const S2sOutbound* outbound(const std::string& local, const std::string& remote) const;
  // Counts only (never domain names), for metrics and the status page.
  struct Stats {
    size_t inbound = 0;
    size_t outbound_ready = 0, outbound_connecting = 0, outbound_idle = 0;
    size_t queued_stanzas = 0;  // waiting in outbound queues
    size_t peer_domains = 0;    // distinct remote domains we have a stream to or from (bidi)
    uint64_t requests_refused = 0;  // IQ requests over domain_request_rate
  };
  Stats stats() const;

 private:
  // S2sHost
  const S2sConfig& config() const override { return config_; }
  bool serves(std::string_view domain) const override;
  const std::string& dialback_secret() const override { return secret_; }
  X509_STORE* trust_store() override { return trust_->get(); }
  asio::ssl::context& client_tls(const std::string& local_domain) override;
  net::Resolver& resolver() override { return resolver_; }
  void deliver(xml::Element stanza) override;
  void verify_dialback(const std::string& local, const std::string& remote,
                       const std::string& stream_id, const std::string& key,
                       std::function<void(bool)> done) override;
  void inbound_closed(S2sInbound* session) override;
  void requeue(const std::string& peer, std::vector<StreamManagement::Unacked> stanzas) override;
  bool peer_allowed(std::string_view domain) const override;
  bool admit_request(std::string_view domain) override;
  void send_reply(xml::Element stanza) override { send(std::move(stanza)); }
  void bidi_ready(S2sInbound* session, const std::string& local,
                  const std::string& remote) override;

  S2sHost& host() { return *this; }
  void listen(const std::string& text, bool direct_tls);
  void accept(asio::ip::tcp::acceptor& acceptor, bool direct_tls);
  S2sOutbound& outbound_for(const std::string& local, const std::string& remote);

  asio::io_context& io_;
  S2sConfig config_;
  StanzaHandler& handler_;
  std::string secret_;
  std::set<std::string, std::less<>> served_;
  std::unique_ptr<net::TrustStore> trust_;
  std::unique_ptr<net::ServerTls> server_tls_;
  std::map<std::string, std::unique_ptr<asio::ssl::context>> client_tls_;
  // Replaced by reloads. Kept, not freed: a handshake that started before
  // a reload may still call back into its ServerTls (SNI). Small (one set
  // per reload) and reloads are rare.
  std::vector<std::unique_ptr<net::ServerTls>> retired_server_tls_;
  std::vector<std::unique_ptr<asio::ssl::context>> retired_client_tls_;
  // Bumped by each reload; an accept prepared before it gets a new session.
  unsigned tls_generation_ = 0;
  net::Resolver resolver_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::map<S2sInbound*, std::shared_ptr<S2sInbound>> inbound_;
  std::map<S2sInbound*, asio::ip::address> inbound_address_;
  std::map<asio::ip::address, size_t> connections_per_ip_;
  S2sPolicy policy_;
  // XEP-0288: (local, remote) -> an inbound stream we may send over.
  std::map<std::pair<std::string, std::string>, S2sInbound*> bidi_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<S2sOutbound>> outbound_;
  bool stopped_ = false;
  uint64_t requests_refused_ = 0;
};

// Parses "0.0.0.0:5269", "[::]:5269", "[::1]:0"; throws std::invalid_argument.
using net::parse_listen_endpoint;

}  // namespace herald::xmpp
