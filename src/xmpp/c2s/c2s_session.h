// A client stream (RFC 6120, jabber:client) from accept to close.
//
// Negotiation: TLS first (STARTTLS, required; or direct TLS, XEP-0368),
// then SASL (c2s_sasl.h), then resource binding through the host; what each
// stage offers comes from c2s_features.h. Stream headers: 'to' must be a
// host the host serves and stay the same across restarts (host-unknown),
// version 1.0 or later (unsupported-version), default namespace
// jabber:client (invalid-namespace).
//
// Before the session is bound, the negotiation must end within
// config.auth_timeout (connection-timeout) and within
// config.max_unauthenticated_bytes before authentication (policy-violation);
// a stanza before binding is not-authorized; config.max_auth_attempts failed
// SASL attempts end the stream (policy-violation). Failed attempts with
// wrong credentials and each success are reported to the host (abuse
// filter, last-login date).
//
// While the host works on something (credentials, a password, a bind) the
// session reads no more; what arrived in the same read waits and is handled
// after, in order. Bytes after a stream restart's trigger (<proceed/>,
// <success/>) in the same read are dropped, never trusted.
//
// Once bound, every stanza passes check_stanza() (xmpp/stanza_check.h;
// faults answered with stanza errors) and gets the session's full JID as
// 'from'. A 'from' the client set is accepted when it is the session's full
// or bare JID and replaced by the full one; any other ends the stream with
// invalid-from (RFC 6120 8.1.2.1: the client is buggy or lying, and
// nothing it sends later can be trusted). 'to' is normalised. Answered
// here, without the host: XEP-0199 pings to the server (the cheapest
// keep-alive, no hop to another loop) and RFC 3921 session establishment.
// Everything else goes to host.from_client(). Beyond config.stanza_rate
// (bursts of config.stanza_burst) reading pauses until the rate allows it
// again (back-pressure, not an error); more than config.max_pending_stanzas
// written but not read by the client ends the stream (resource-constraint).
//
// Logs: stream errors at info with their condition and the served host,
// never a JID or an address; logins only at debug.
// Threads: everything on the session's loop, loop(); the hub reaches it by
// posting there. Lifetime: shared_ptr, held by its own pending operations
// and by the host while bound.
#pragma once

#include <asio/ip/address.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/c2s/c2s_host.h"
#include "xmpp/c2s/c2s_sasl.h"
#include "xmpp/jid.h"
#include "xmpp/stream_connection.h"

namespace herald::xmpp {

class C2sSession : public StreamConnection {
 public:
  // `host` outlives the loops (and so every session).
  static std::shared_ptr<C2sSession> create(asio::io_context& loop, asio::ssl::context& tls,
                                            C2sHost& host);
  Socket::lowest_layer_type& tcp() { return socket().lowest_layer(); }

  // On the session's loop, once the socket is connected. `address` is the
  // client's, for the host's abuse filter only. direct_tls: XEP-0368.
  void start(const asio::ip::address& address, bool direct_tls);
  // Instead of start(): a stream error at once (on a direct TLS port the
  // connection is just closed: plain text there would be noise).
  void refuse(bool direct_tls, std::string_view condition, std::string_view text);
  // Runs once when the connection is gone (the listener's bookkeeping).
  void on_closed(std::function<void()> callback) { on_closed_ = std::move(callback); }

  // For the hub, on the session's loop. A stanza for the client (in
  // jabber:client or jabber:server: written in jabber:client); ignored
  // unless bound.
  void deliver(const xml::Element& stanza);
  // Ends the stream with a stream error (e.g. "conflict" when another
  // session takes the resource, "system-shutdown"), or plainly when
  // `condition` is empty.
  void close(std::string_view condition = {}, std::string_view text = {});
  // The full JID once bound.
  bool bound() const { return stage_ == Stage::bound; }
  const Jid& jid() const { return *jid_; }
  asio::io_context& loop() { return io(); }

 private:
  enum class Stage : uint8_t { negotiating, authenticated, bound };
  // What only negotiation needs, freed once bound.
  struct Negotiation;

  C2sSession(asio::io_context& loop, asio::ssl::context& tls, C2sHost& host);

  void on_stream_open(const xml::Element& header) override;
  void on_element(xml::Element element) override;
  void on_stream_close() override;
  void on_disconnected() override;
  void on_bytes_read(std::size_t n) override;
  std::string log_name() const override;

  void handle(xml::Element element);
  void handle_negotiation(const xml::Element& element);
  void handle_starttls();
  void handle_auth(const xml::Element& auth);
  void handle_response(const xml::Element& response);
  // Runs one step of `sasl` (`step` calls it with the handler) while
  // reading waits.
  void run_sasl(const std::shared_ptr<C2sSasl>& sasl,
                const std::function<void(C2sSasl::Done)>& step);
  void sasl_answer(C2sSasl::Step step);
  void sasl_failed(std::string_view condition, std::string_view text = {});
  void handle_bind(const xml::Element& iq);
  void handle_stanza(xml::Element stanza);
  bool answer_locally(const xml::Element& stanza);
  void send_features();

  // Reading pauses while busy_ or over the rate; held_ keeps what arrived
  // meanwhile.
  void begin_wait();
  void end_wait();
  void pause_after_chunk();
  void drain();
  void maybe_resume();
  bool waiting() const { return busy_ || rate_wait_; }
  bool holding() const { return held_next_ < held_.size(); }
  void drop_held();
  void take_rate_token();

  C2sHost* host_;
  const C2sConfig& config_;
  Stage stage_ = Stage::negotiating;
  std::string domain_;       // the served host of the stream headers
  std::optional<Jid> jid_;   // bare once authenticated, full once bound
  std::unique_ptr<Negotiation> negotiation_;
  // The auth timeout while negotiating, the rate wait once bound.
  asio::steady_timer timer_;
  // Not a std::deque: that allocates ~600 bytes up front, in every idle
  // session; this stays empty (no heap) unless a read brought more than
  // could be handled at once.
  std::vector<xml::Element> held_;
  size_t held_next_ = 0;  // the first of held_ not yet handled
  std::function<void()> on_closed_;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_;
  bool busy_ = false;
  bool rate_wait_ = false;
  bool paused_ = false;
};

}  // namespace herald::xmpp
