// What inbound and outbound s2s sessions need from the service that owns
// them. S2sService implements it; tests may fake it.
#pragma once

#include <openssl/x509.h>

#include <asio/ssl.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "xml/element.h"
#include "xmpp/s2s/s2s_config.h"
#include "xmpp/stream_management.h"

namespace herald::net {
class Resolver;
}

namespace herald::xmpp {

class S2sInbound;
class S2sOutbound;

class S2sHost {
 public:
  virtual ~S2sHost() = default;
  virtual const S2sConfig& config() const = 0;
  virtual bool serves(std::string_view domain) const = 0;
  virtual const std::string& dialback_secret() const = 0;
  virtual X509_STORE* trust_store() = 0;
  virtual asio::ssl::context& client_tls(const std::string& local_domain) = 0;
  virtual net::Resolver& resolver() = 0;
  // A stanza that passed the inbound checks, for the StanzaHandler.
  virtual void deliver(xml::Element stanza) = 0;
  // Dialback, receiving role: ask the authoritative server of `remote`
  // (over our outbound stream to it) whether `key` is its key for our
  // inbound stream `stream_id`. `done` runs exactly once.
  virtual void verify_dialback(const std::string& local, const std::string& remote,
                               const std::string& stream_id, const std::string& key,
                               std::function<void(bool valid)> done) = 0;
  virtual void inbound_closed(S2sInbound* session) = 0;
  // XEP-0198: stanzas an inbound stream from `peer` (its header's domain,
  // for logs) sent and the peer never acknowledged before the stream was
  // lost; the host sends them again (each within its lifetime), once.
  virtual void requeue(const std::string& peer,
                       std::vector<StreamManagement::Unacked> stanzas) = 0;
  // Admin controls (S2sPolicy): may this peer domain federate with us?
  virtual bool peer_allowed(std::string_view domain) const = 0;
  // One IQ request from `domain`; false: over its rate, answer it with an
  // error instead of delivering it.
  virtual bool admit_request(std::string_view domain) = 0;
  // Sends a stanza we generated (e.g. an error reply) like any other.
  virtual void send_reply(xml::Element stanza) = 0;
  // XEP-0288: `session` is bidirectional and authenticated `remote` for
  // `local`; the host may send stanzas from `local` to `remote` over it.
  virtual void bidi_ready(S2sInbound* session, const std::string& local,
                          const std::string& remote) = 0;
};

}  // namespace herald::xmpp
