// One outgoing s2s connection attempt to one address of a remote domain:
// TCP connect, STARTTLS (or direct TLS), certificate check, then SASL
// EXTERNAL when offered, else dialback (XEP-0220). Reports to a Listener.
// XEP-0288: when the peer offers bidi (and config.bidi), asks for it after
// TLS; the peer may then send its stanzas to us over this stream, checked
// like an inbound stream's (from the remote domain only, to our local one,
// admin controls) and handed to the host.
//
// Contract: the whole negotiation must finish within config.connect_timeout.
// db:verify requests may be written once TLS is up and no SASL exchange is
// in flight (on_verify_ready); stanzas only once on_ready was reported.
// on_closed runs exactly once, with whether the stream had become ready.
// XEP-0198: when the peer offers <sm xmlns='urn:xmpp:sm:3'/> (and
// config.stream_management), stream management is enabled once the stream
// is authenticated; stanzas sent are kept until the peer acknowledges them
// (<r/> after each burst), and after the stream is gone take_unacked()
// hands back those it never confirmed, so the owner may send them again.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "xmpp/stream_connection.h"
#include "xmpp/s2s/s2s_host.h"
#include "xmpp/stream_management.h"

namespace herald::xmpp {

class S2sOutboundStream : public StreamConnection {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void on_ready(S2sOutboundStream* stream) = 0;
    virtual void on_verify_ready(S2sOutboundStream* stream) = 0;
    // A <db:verify type=...> answer to one of our requests.
    virtual void on_verify_result(const std::string& id, bool valid) = 0;
    virtual void on_closed(S2sOutboundStream* stream, bool was_ready) = 0;
  };

  static std::shared_ptr<S2sOutboundStream> create(asio::io_context& io, S2sHost& host,
                                                   std::string local, std::string remote,
                                                   asio::ip::tcp::endpoint endpoint,
                                                   bool direct_tls,
                                                   std::weak_ptr<Listener> listener);
  void start();
  // `since`: when the stanza was first queued (its lifetime starts there).
  void send(const xml::Element& element,
            StreamManagement::Clock::time_point since = StreamManagement::Clock::now());
  // XEP-0198 is on (we sent <enable/>).
  bool stream_management() const { return sm_.sending(); }
  // Stanzas sent on this stream that the peer did not acknowledge, oldest
  // first (empty without stream management).
  std::vector<StreamManagement::Unacked> take_unacked() { return sm_.take_unacked(); }
  bool bidi() const { return bidi_; }
  // "SASL EXTERNAL" or "dialback" once ready, else empty.
  const std::string& auth_method() const { return auth_method_; }

 private:
  enum class State { connecting, starttls, tls, sasl, dialback, ready };

  S2sOutboundStream(asio::io_context& io, S2sHost& host, std::string local, std::string remote,
                    asio::ip::tcp::endpoint endpoint, bool direct_tls,
                    std::weak_ptr<Listener> listener);

  void on_stream_open(const xml::Element& header) override;
  void on_element(xml::Element element) override;
  void on_stream_close() override;
  void on_disconnected() override;
  std::string log_name() const override;

  void open_stream();
  void start_tls_handshake(bool resume);
  void handle_features(const xml::Element& features);
  void authenticate(const xml::Element& features);
  void start_dialback();
  void become_ready(const char* method);
  void request_bidi(const xml::Element& features);
  void handle_peer_stanza(xml::Element stanza);
  bool handle_sm(const xml::Element& element);

  S2sHost& host_;
  std::string local_;
  std::string remote_;
  asio::ip::tcp::endpoint endpoint_;
  bool direct_tls_;
  std::weak_ptr<Listener> listener_;
  asio::steady_timer deadline_;
  State state_ = State::connecting;
  std::string remote_stream_id_;
  bool certificate_valid_ = false;
  std::string auth_method_;
  bool bidi_ = false;       // we sent <bidi/>
  bool peer_sent_ = false;  // logged the first stanza the peer sent back
  bool peer_offers_sm_ = false;
  StreamManagement sm_;
};

}  // namespace herald::xmpp
