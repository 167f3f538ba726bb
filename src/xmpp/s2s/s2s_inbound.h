// An s2s stream a peer opened to us (RFC 6120, XEP-0220, XEP-0178).
//
// Contract: negotiates STARTTLS (required unless config.require_tls is
// false), then offers SASL EXTERNAL only when the peer's certificate is
// valid for the domain in its stream header, plus dialback. A stream can be
// authenticated for several peer domains (dialback multiplexing). Stanzas
// reach the host only after authentication, only from an authenticated
// domain (else stream error invalid-from) and only to a served domain (else
// host-unknown); a stanza before authentication ends the stream with
// not-authorized. Also answers db:verify (authoritative dialback role).
// Admin controls: a peer domain the host does not allow gets stream error
// policy-violation (at the header, SASL or dialback); a stream that has not
// authenticated within config.auth_timeout gets connection-timeout; IQ
// requests over the domain's rate are answered wait/resource-constraint.
// XEP-0198 (config.stream_management): <sm xmlns='urn:xmpp:sm:3'/> is
// offered once TLS is up; <enable/> is accepted only once a domain is
// authenticated (else <failed/>), without resumption; handled stanzas are
// counted and <r/> answered with <a h=.../>. What Herald sends over the
// stream (bidi) is kept until the peer's <a/> covers it (an <r/> follows
// each burst); when the stream is lost, what the peer never acknowledged
// goes back to the host, to be sent on a new stream within the stanzas'
// lifetime (config.stanza_lifetime) -- once: acknowledged stanzas never.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "xmpp/stream_connection.h"
#include "xmpp/s2s/s2s_host.h"
#include "xmpp/stream_management.h"

namespace herald::xmpp {

class S2sInbound : public StreamConnection {
 public:
  // Built with the server TLS context; `host` must outlive the session or
  // call detach() first.
  static std::shared_ptr<S2sInbound> create(asio::io_context& io, asio::ssl::context& server_tls,
                                            S2sHost& host);
  Socket::lowest_layer_type& tcp() { return socket().lowest_layer(); }
  // direct_tls: XEP-0368, the TLS handshake comes first (no STARTTLS).
  void start(bool direct_tls = false);
  // Instead of start(): answers with a stream error at once (e.g. too many
  // connections from one address).
  void refuse(std::string_view condition, std::string_view text);
  void detach() { host_ = nullptr; }
  // XEP-0288: a stanza of ours to the peer over its stream (the host only
  // calls it after bidi_ready()). `since`: when it was first queued.
  // With stream management it is kept until the peer acknowledges it; if
  // the stream is lost first, the host gets it back (S2sHost::requeue).
  void send_stanza(const xml::Element& stanza,
                   StreamManagement::Clock::time_point since = StreamManagement::Clock::now());

 private:
  S2sInbound(asio::io_context& io, asio::ssl::context& server_tls, S2sHost& host);

  void on_stream_open(const xml::Element& header) override;
  void on_element(xml::Element element) override;
  void on_stream_close() override;
  void on_disconnected() override;
  std::string log_name() const override;

  void send_features();
  void handle_starttls();
  void handle_sasl_auth(const xml::Element& auth);
  void handle_db_result(const xml::Element& result);
  void handle_db_verify(const xml::Element& verify);
  void handle_stanza(xml::Element stanza);
  void handle_sm(const xml::Element& element);
  bool dialback_allowed() const;
  bool certificate_valid_for(const std::string& domain);
  // false (after sending policy-violation) if the host refuses `domain`.
  bool check_allowed(const std::string& domain);

  S2sHost* host_;
  asio::steady_timer auth_timer_;
  std::string stream_id_;
  std::string local_domain_;  // 'to' of the peer's header
  std::string peer_domain_;   // 'from' of the peer's header, as claimed
  std::set<std::string> authenticated_;
  bool sasl_done_ = false;
  bool logged_tls_ = false;
  bool direct_tls_ = false;
  bool bidi_ = false;  // the peer sent <bidi xmlns='urn:xmpp:bidi'/>
  StreamManagement sm_;
  void authenticated(const std::string& local, const std::string& remote);
};

}  // namespace herald::xmpp
