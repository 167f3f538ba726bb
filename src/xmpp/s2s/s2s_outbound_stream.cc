#include "xmpp/s2s/s2s_outbound_stream.h"

#include "base/encoding.h"
#include "base/log.h"
#include "net/tls.h"
#include "xmpp/s2s/dialback.h"
#include "xmpp/iq.h"
#include "xmpp/s2s/s2s_admission.h"
#include "xmpp/s2s/s2s_stream.h"

namespace herald::xmpp {

using s2s::kDialbackNs;
using s2s::kSaslNs;
using s2s::kTlsNs;

std::shared_ptr<S2sOutboundStream> S2sOutboundStream::create(asio::io_context& io, S2sHost& host,
                                                             std::string local, std::string remote,
                                                             asio::ip::tcp::endpoint endpoint,
                                                             bool direct_tls,
                                                             std::weak_ptr<Listener> listener) {
  return std::shared_ptr<S2sOutboundStream>(new S2sOutboundStream(
      io, host, std::move(local), std::move(remote), endpoint, direct_tls, std::move(listener)));
}

S2sOutboundStream::S2sOutboundStream(asio::io_context& io, S2sHost& host, std::string local,
                                     std::string remote, asio::ip::tcp::endpoint endpoint,
                                     bool direct_tls, std::weak_ptr<Listener> listener)
    : StreamConnection(kServerStream, io, host.client_tls(local), host.config().limits,
                       host.config().idle_timeout),
      host_(host),
      local_(std::move(local)),
      remote_(std::move(remote)),
      endpoint_(endpoint),
      direct_tls_(direct_tls),
      listener_(std::move(listener)),
      deadline_(io) {
  set_max_pending_stanzas(host.config().max_queued_stanzas);
}

std::string S2sOutboundStream::log_name() const {
  return "outbound to " + remote_;
}

void S2sOutboundStream::start() {
  auto self = std::static_pointer_cast<S2sOutboundStream>(shared_from_this());
  deadline_.expires_after(host_.config().connect_timeout);
  deadline_.async_wait([self](const asio::error_code& ec) {
    if (ec || self->state_ == State::ready || self->closed()) return;
    log::info("s2s {}: timed out while connecting", self->log_name());
    self->abort();
  });
  log::debug("s2s {}: connecting to {}", log_name(), endpoint_.address().to_string());
  socket().lowest_layer().async_connect(endpoint_, [self](const asio::error_code& ec) {
    if (self->closed()) return;
    if (ec) {
      // A peer's address only at debug (docs/privacy.md).
      log::debug("s2s {}: cannot connect to {}: {}", self->log_name(),
                 self->endpoint_.address().to_string(), ec.message());
      log::info("s2s {}: cannot connect to port {}: {}", self->log_name(), self->endpoint_.port(),
                ec.message());
      self->abort();
      return;
    }
    if (self->direct_tls_) {
      self->start_tls_handshake(false);
    } else {
      self->state_ = State::starttls;
      self->open_stream();
      self->start_reading();
    }
  });
}

void S2sOutboundStream::open_stream() {
  write(s2s::stream_header(local_, remote_, {}));
  mark_header_sent();
}

void S2sOutboundStream::start_tls_handshake(bool resume) {
  net::prepare_client(socket().native_handle(), remote_, direct_tls_);
  auto self = std::static_pointer_cast<S2sOutboundStream>(shared_from_this());
  tls_handshake(asio::ssl::stream_base::client, [self, resume] {
    self->certificate_valid_ = net::peer_certificate_valid(
        self->socket().native_handle(), self->host_.trust_store(), self->remote_);
    log::info("s2s {}: TLS established ({}{}), certificate {}", self->log_name(),
              net::tls_version(self->socket().native_handle()),
              self->direct_tls_ ? ", direct TLS" : "",
              self->certificate_valid_ ? "valid" : "not valid for the domain");
    if (!self->certificate_valid_ && self->host_.config().require_valid_certificates) {
      self->close_stream();
      return;
    }
    self->state_ = State::tls;
    self->open_stream();
    if (resume)
      self->resume_reading();
    else
      self->start_reading();
  });
}

void S2sOutboundStream::on_stream_open(const xml::Element& header) {
  if (header.text() != s2s::kServerNs) {
    fail("invalid-namespace");
    return;
  }
  remote_stream_id_ = header.attr_or("id");
}

void S2sOutboundStream::on_element(xml::Element element) {
  if (element.is("features", s2s::kStreamNs)) {
    handle_features(element);
  } else if (element.is("proceed", kTlsNs) && state_ == State::starttls) {
    parser().reset();
    after_chunk([this] { start_tls_handshake(true); });  // no self: see S2sInbound
  } else if (element.is("success", kSaslNs) && state_ == State::sasl) {
    parser().reset();
    open_stream();  // features of the new stream make it ready
  } else if (element.is("failure", kSaslNs) && state_ == State::sasl) {
    log::info("s2s {}: SASL EXTERNAL refused, trying dialback", log_name());
    start_dialback();
  } else if (element.is("result", kDialbackNs) && state_ == State::dialback) {
    if (s2s::jid_domain(element.attr_or("from")) != remote_ ||
        s2s::jid_domain(element.attr_or("to")) != local_)
      return;
    if (element.attr_or("type") == "valid") {
      become_ready("dialback");
    } else {
      log::info("s2s {}: dialback refused", log_name());
      close_stream();
    }
  } else if (element.is("verify", kDialbackNs)) {
    if (auto listener = listener_.lock())
      listener->on_verify_result(std::string(element.attr_or("id")),
                                 element.attr_or("type") == "valid");
  } else if (element.ns() == kSmNs) {
    handle_sm(element);
  } else if (s2s::is_stanza(element)) {
    handle_peer_stanza(std::move(element));
  } else if (element.is("error", s2s::kStreamNs)) {
    std::string condition = "unknown";
    if (!element.children().empty()) condition = element.children().front().name();
    log::info("s2s {}: stream error from peer: {}", log_name(), condition);
    close_stream();
  } else if (element.is("failure", kTlsNs)) {
    log::info("s2s {}: peer refused STARTTLS", log_name());
    close_stream();
  } else {
    log::debug("s2s {}: ignoring <{}/> in state {}", log_name(), element.name(), int(state_));
  }
}

void S2sOutboundStream::handle_features(const xml::Element& features) {
  switch (state_) {
    case State::starttls:
      if (features.child("starttls", kTlsNs)) {
        write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      } else if (host_.config().require_tls) {
        log::info("s2s {}: peer offers no STARTTLS, and TLS is required", log_name());
        close_stream();
      } else {
        authenticate(features);
      }
      break;
    case State::tls:
      peer_offers_sm_ = features.child("sm", kSmNs) != nullptr;
      request_bidi(features);
      authenticate(features);
      break;
    case State::sasl:  // after <success/> and the stream restart
      peer_offers_sm_ = features.child("sm", kSmNs) != nullptr;
      become_ready("SASL EXTERNAL");
      break;
    default:
      break;
  }
}

void S2sOutboundStream::request_bidi(const xml::Element& features) {
  // XEP-0288: asked for before authentication, and only over TLS (the
  // peer's identity then rests on what authenticates this stream).
  if (bidi_ || !host_.config().bidi_outbound || !tls_active()) return;
  if (!features.child("bidi", s2s::kBidiFeatureNs)) return;
  xml::Element bidi("bidi", std::string(s2s::kBidiNs));
  write(bidi);
  bidi_ = true;
  log::info("s2s {}: bidirectional stream requested", log_name());
}

void S2sOutboundStream::handle_peer_stanza(xml::Element stanza) {
  if (!bidi_ || state_ != State::ready) {
    fail("not-authorized", "stanzas only on a bidirectional stream once it is authenticated");
    return;
  }
  // We opened this stream to `remote_` and authenticated it (its certificate
  // or dialback), so only that domain may speak on it.
  auto from = s2s::jid_domain(stanza.attr_or("from"));
  if (!from || *from != remote_) {
    log::info("s2s {}: stanza from another domain on a bidirectional stream", log_name());
    fail("invalid-from");
    return;
  }
  auto to = s2s::jid_domain(stanza.attr_or("to"));
  if (!to || *to != local_) {
    fail("host-unknown");
    return;
  }
  if (!host_.peer_allowed(*from)) {
    fail("policy-violation");
    return;
  }
  sm_.handled();
  if (!peer_sent_) {
    peer_sent_ = true;
    log::info("s2s {}: the peer sends over this stream too (bidirectional)", log_name());
  }
  admit_stanza(host_, *this, log_name(), *from, std::move(stanza));
}

void S2sOutboundStream::authenticate(const xml::Element& features) {
  bool external = false;
  if (const auto* mechanisms = features.child("mechanisms", kSaslNs)) {
    for (const auto& m : mechanisms->children())
      if (m.is("mechanism", kSaslNs) && m.text() == "EXTERNAL") external = true;
  }
  if (external && tls_active()) {
    state_ = State::sasl;
    write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" +
          base64_encode(local_) + "</auth>");
    return;
  }
  start_dialback();
}

void S2sOutboundStream::start_dialback() {
  if (host_.config().require_valid_certificates && !certificate_valid_) {
    log::info("s2s {}: certificate not valid; dialback not allowed", log_name());
    close_stream();
    return;
  }
  state_ = State::dialback;
  xml::Element result("result", std::string(kDialbackNs));
  result.set_attr("from", local_).set_attr("to", remote_);
  result.set_text(dialback_key(host_.dialback_secret(), remote_, local_, remote_stream_id_));
  write(result);
  if (auto listener = listener_.lock()) listener->on_verify_ready(this);
}

void S2sOutboundStream::become_ready(const char* method) {
  state_ = State::ready;
  auth_method_ = method;
  deadline_.cancel();
  log::info("s2s {}: authenticated with {} ({})", log_name(), method,
            tls_active() ? net::tls_version(socket().native_handle()) : "no TLS");
  // XEP-0198 §3: enabled after authentication (SASL or dialback), before
  // the first stanza; counting what we send starts with <enable/>.
  if (peer_offers_sm_ && host_.config().stream_management) {
    write("<enable xmlns='urn:xmpp:sm:3'/>");
    sm_.start_sending();
    log::debug("s2s {}: stream management requested", log_name());
  }
  if (auto listener = listener_.lock()) {
    listener->on_verify_ready(this);
    listener->on_ready(this);
  }
}

void S2sOutboundStream::send(const xml::Element& element,
                             StreamManagement::Clock::time_point since) {
  if (closing()) return;
  write(element);
  if (!sm_.sending() || !s2s::is_stanza(element)) return;
  sm_.sent(element, since);
  request_ack_soon(sm_);
}

bool S2sOutboundStream::handle_sm(const xml::Element& element) {
  if (element.name() == "enabled" && sm_.sending()) {
    sm_.start_handling();
    log::info("s2s {}: stream management enabled", log_name());
  } else if (element.name() == "failed" && sm_.sending()) {
    log::info("s2s {}: the peer refused stream management", log_name());
    sm_.stop();
  } else if (element.name() == "a" && sm_.sending()) {
    uint32_t before = sm_.acked_count();
    if (auto error = sm_.on_ack(element.attr_or("h"))) {
      log::info("s2s {}: bad acknowledgement from the peer: {}", log_name(), error->text);
      fail(error->condition, error->text, error->wire);
      return false;
    }
    log::debug("s2s {}: peer acknowledged {} stanzas (h={}, {} outstanding)", log_name(),
               sm_.acked_count() - before, sm_.acked_count(), sm_.outstanding());
    request_ack_soon(sm_);
  } else if (element.name() == "r" && sm_.handling()) {
    write(sm_.ack_element());
  } else {
    log::debug("s2s {}: ignoring stream management <{}/>", log_name(), element.name());
  }
  return true;
}

void S2sOutboundStream::on_stream_close() {
  close_stream();
}

void S2sOutboundStream::on_disconnected() {
  deadline_.cancel();
  log::info("s2s {}: closed", log_name());
  if (auto listener = listener_.lock()) listener->on_closed(this, state_ == State::ready);
}

}  // namespace herald::xmpp
