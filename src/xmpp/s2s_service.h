// The s2s transport: listens for peers, opens streams to them, and connects
// both to the rest of Herald through StanzaSender / StanzaHandler.
//
// Contract: single-threaded on the given io_context. start() binds every
// configured listen endpoint (throws std::runtime_error naming the endpoint
// if it cannot, e.g. the port is in use). send() routes by the 'to' domain
// over our own outbound stream to that domain (peers never send replies
// back over their inbound stream); a stanza for a domain we serve ourselves
// goes straight to the handler. stop() closes every stream with
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

#include "net/resolver.h"
#include "net/tls.h"
#include "xmpp/s2s_config.h"
#include "xmpp/s2s_host.h"
#include "xmpp/s2s_inbound.h"
#include "xmpp/s2s_outbound.h"
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
  // Adds or replaces a static route (e.g. once a peer's port is known).
  void set_route(const std::string& domain, S2sRoute route) { config_.routes[domain] = route; }

  // For tests and metrics.
  size_t inbound_count() const { return inbound_.size(); }
  const S2sOutbound* outbound(const std::string& local, const std::string& remote) const;

 private:
  // S2sHost
  const S2sConfig& config() const override { return config_; }
  bool serves(std::string_view domain) const override;
  const std::string& dialback_secret() const override { return secret_; }
  X509_STORE* trust_store() override { return trust_.get(); }
  asio::ssl::context& client_tls(const std::string& local_domain) override;
  net::Resolver& resolver() override { return resolver_; }
  void deliver(xml::Element stanza) override;
  void verify_dialback(const std::string& local, const std::string& remote,
                       const std::string& stream_id, const std::string& key,
                       std::function<void(bool)> done) override;
  void inbound_closed(S2sInbound* session) override;

  S2sHost& host() { return *this; }
  void accept(asio::ip::tcp::acceptor& acceptor);
  S2sOutbound& outbound_for(const std::string& local, const std::string& remote);

  asio::io_context& io_;
  S2sConfig config_;
  StanzaHandler& handler_;
  std::string secret_;
  std::set<std::string, std::less<>> served_;
  net::TrustStore trust_;
  std::unique_ptr<net::ServerTls> server_tls_;
  std::map<std::string, std::unique_ptr<asio::ssl::context>> client_tls_;
  net::Resolver resolver_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::map<S2sInbound*, std::shared_ptr<S2sInbound>> inbound_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<S2sOutbound>> outbound_;
  bool stopped_ = false;
};

// Parses "0.0.0.0:5269", "[::]:5269", "[::1]:0"; throws std::invalid_argument.
asio::ip::tcp::endpoint parse_listen_endpoint(const std::string& text);

}  // namespace herald::xmpp
