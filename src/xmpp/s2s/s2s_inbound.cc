#include "xmpp/s2s/s2s_inbound.h"

#include "base/encoding.h"
#include "base/log.h"
#include "net/tls.h"
#include "xmpp/s2s/dialback.h"
#include "xmpp/iq.h"
#include "xmpp/s2s/s2s_admission.h"
#include "xmpp/stanza_rules.h"
#include "xmpp/s2s/s2s_stream.h"

namespace herald::xmpp {

using s2s::kDialbackNs;
using s2s::kSaslNs;
using s2s::kTlsNs;

std::shared_ptr<S2sInbound> S2sInbound::create(asio::io_context& io, asio::ssl::context& server_tls,
                                               S2sHost& host) {
  return std::shared_ptr<S2sInbound>(new S2sInbound(io, server_tls, host));
}

S2sInbound::S2sInbound(asio::io_context& io, asio::ssl::context& server_tls, S2sHost& host)
    : StreamConnection(kServerStream, io, server_tls, host.config().limits,
                       host.config().idle_timeout),
      host_(&host),
      auth_timer_(io) {
  set_max_pending_stanzas(host.config().max_queued_stanzas);
}

void S2sInbound::start(bool direct_tls) {
  direct_tls_ = direct_tls;
  if (direct_tls)
    tls_handshake(asio::ssl::stream_base::server, [this] { start_reading(); });
  else
    start_reading();
  auth_timer_.expires_after(host_->config().auth_timeout);
  std::weak_ptr<StreamConnection> weak = shared_from_this();
  auth_timer_.async_wait([weak, this](const asio::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || closed() || !authenticated_.empty()) return;
    log::info("s2s {}: not authenticated in time, closing", log_name());
    fail("connection-timeout", "authenticate sooner");
  });
}

void S2sInbound::refuse(std::string_view condition, std::string_view text) {
  fail(condition, text);
}

bool S2sInbound::check_allowed(const std::string& domain) {
  if (!host_ || host_->peer_allowed(domain)) return true;
  log::info("s2s {}: domain not allowed by the configuration, closing", log_name());
  fail("policy-violation", "this service does not federate with your domain");
  return false;
}

std::string S2sInbound::log_name() const {
  return "inbound from " + (peer_domain_.empty() ? std::string("(unknown)") : peer_domain_);
}

void S2sInbound::send_stanza(const xml::Element& stanza,
                             StreamManagement::Clock::time_point since) {
  write(stanza);
  if (!sm_.sending()) return;
  sm_.sent(stanza, since);
  request_ack_soon(sm_);
}

void S2sInbound::on_disconnected() {
  auth_timer_.cancel();
  log::info("s2s {}: closed", log_name());
  if (!host_) return;
  // Unacknowledged stanzas are taken before the host forgets this stream
  // as a route, and handed back after, so that they take another one.
  auto unacked = sm_.take_unacked();
  host_->inbound_closed(this);
  if (!unacked.empty()) host_->requeue(peer_domain_, std::move(unacked));
}

void S2sInbound::on_stream_open(const xml::Element& header) {
  stream_id_ = s2s::new_stream_id();
  std::string to(header.attr_or("to"));
  std::string from(header.attr_or("from"));
  if (auto d = s2s::jid_domain(to)) to = *d;
  if (auto d = s2s::jid_domain(from)) peer_domain_ = *d;
  const StreamVersion version = stream_version(header);
  // Answer with our header first, so that an error below is well-formed.
  write(s2s::stream_header(to, peer_domain_, stream_id_, version != StreamVersion::legacy));
  mark_header_sent();
  if (header.text() != s2s::kServerNs) {
    fail("invalid-namespace", "expected jabber:server");
    return;
  }
  if (!host_ || to.empty() || !host_->serves(to)) {
    fail("host-unknown");
    return;
  }
  local_domain_ = to;
  if (!peer_domain_.empty() && !check_allowed(peer_domain_)) return;
  if (version == StreamVersion::unsupported) {
    fail("unsupported-version", "the stream version must be major.minor, e.g. 1.0");
    return;
  }
  if (version == StreamVersion::legacy) {
    // RFC 6120 4.7.5: a pre-1.0 peer gets no stream features, so it can
    // neither STARTTLS nor SASL; only dialback in the clear is left.
    if (host_->config().require_tls) {
      fail("unsupported-version", "XMPP 1.0 is required here (version='1.0'): TLS is mandatory");
      return;
    }
    log::info("s2s {}: a pre-1.0 stream (no version): no stream features", log_name());
    return;
  }
  if (tls_active() && !logged_tls_) {
    logged_tls_ = true;
    std::string alpn = net::alpn_selected(socket().native_handle());
    log::info("s2s {}: TLS established ({}{}{})", log_name(),
              net::tls_version(socket().native_handle()), direct_tls_ ? ", direct TLS" : "",
              alpn.empty() ? std::string() : ", ALPN " + alpn);
  }
  send_features();
}

bool S2sInbound::certificate_valid_for(const std::string& domain) {
  if (!tls_active() || !host_) return false;
  return net::peer_certificate_valid(socket().native_handle(), host_->trust_store(), domain);
}

bool S2sInbound::dialback_allowed() const {
  return host_ && (tls_active() || !host_->config().require_tls);
}

void S2sInbound::send_features() {
  xml::Element features("features", std::string(s2s::kStreamNs));
  const auto& config = host_->config();
  if (!tls_active()) {
    auto& starttls = features.add_child("starttls", std::string(kTlsNs));
    if (config.require_tls) starttls.add_child("required", std::string(kTlsNs));
  } else if (!sasl_done_ && !peer_domain_.empty() && certificate_valid_for(peer_domain_)) {
    auto& mechanisms = features.add_child("mechanisms", std::string(kSaslNs));
    mechanisms.add_child("mechanism", std::string(kSaslNs)).set_text("EXTERNAL");
  }
  if (config.bidi && !sasl_done_ && dialback_allowed())
    features.add_child("bidi", std::string(s2s::kBidiFeatureNs));
  // Offered before authentication too, for peers that authenticate with
  // dialback (no stream restart after it); enabling waits for it.
  if (config.stream_management && dialback_allowed() && !sm_.handling())
    features.add_child("sm", std::string(kSmNs));
  if (!sasl_done_ && dialback_allowed()) {
    auto& dialback = features.add_child("dialback", std::string(s2s::kDialbackFeatureNs));
    dialback.add_child("errors", std::string(s2s::kDialbackFeatureNs));
  }
  write(features);
}

void S2sInbound::on_element(xml::Element element) {
  if (!host_) return;
  if (element.is("starttls", kTlsNs)) {
    handle_starttls();
  } else if (element.is("auth", kSaslNs)) {
    handle_sasl_auth(element);
  } else if (element.is("result", kDialbackNs)) {
    handle_db_result(element);
  } else if (element.is("verify", kDialbackNs)) {
    handle_db_verify(element);
  } else if (element.is("bidi", s2s::kBidiNs)) {
    if (!host_->config().bidi || !dialback_allowed()) {
      fail("policy-violation", "bidirectional streams are not offered here");
      return;
    }
    bidi_ = true;
    for (const auto& remote : authenticated_) host_->bidi_ready(this, local_domain_, remote);
  } else if (s2s::is_stanza(element)) {
    handle_stanza(std::move(element));
  } else if (element.ns() == kSmNs) {
    handle_sm(element);
  } else {
    fail("unsupported-stanza-type");
  }
}

void S2sInbound::on_stream_close() {
  close_stream();
}

void S2sInbound::handle_sm(const xml::Element& element) {
  auto refuse = [this](std::string_view condition) {
    write("<failed xmlns='urn:xmpp:sm:3'><" + std::string(condition) +
          " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
  };
  const std::string& name = element.name();
  if (name == "enable") {
    if (!host_->config().stream_management) return refuse("feature-not-implemented");
    // XEP-0198 §3: only once the peer is authenticated, and only once.
    if (authenticated_.empty() || sm_.handling()) return refuse("unexpected-request");
    // Counting what we handle starts with <enable/>, what we send with
    // <enabled/>; no 'resume': resumption is not offered between servers.
    sm_.start_handling();
    write("<enabled xmlns='urn:xmpp:sm:3'/>");
    sm_.start_sending();
    log::info("s2s {}: stream management enabled", log_name());
  } else if (name == "r") {
    if (sm_.handling()) write(sm_.ack_element());
  } else if (name == "a") {
    if (!sm_.sending()) return;
    if (auto error = sm_.on_ack(element.attr_or("h"))) {
      log::info("s2s {}: bad acknowledgement from the peer: {}", log_name(), error->text);
      fail(error->condition, error->text, error->wire);
      return;
    }
    request_ack_soon(sm_);
  } else {
    log::debug("s2s {}: ignoring stream management <{}/>", log_name(), name);
  }
}

void S2sInbound::handle_starttls() {
  if (tls_active()) {
    fail("policy-violation", "TLS is already active");
    return;
  }
  write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  parser().reset();  // the peer starts a new stream over TLS
  // The connection runs its own after_chunk action, and the handshake's
  // handler keeps it alive: capturing `this` avoids an ownership cycle.
  after_chunk(
      [this] { tls_handshake(asio::ssl::stream_base::server, [this] { resume_reading(); }); });
}

void S2sInbound::handle_sasl_auth(const xml::Element& auth) {
  auto refuse = [&](std::string_view condition) {
    write("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><" + std::string(condition) +
          "/></failure>");
  };
  if (!tls_active()) return refuse("encryption-required");
  if (auth.attr_or("mechanism") != "EXTERNAL" || sasl_done_) return refuse("invalid-mechanism");
  std::string authzid = peer_domain_;
  const std::string& text = auth.text();
  if (!text.empty() && text != "=") {
    auto decoded = base64_decode(text);
    if (!decoded) return refuse("incorrect-encoding");
    authzid = *decoded;
  }
  if (!authzid.empty() && !check_allowed(authzid)) return;
  if (authzid.empty() || authzid != peer_domain_ || !certificate_valid_for(authzid)) {
    log::info("s2s {}: SASL EXTERNAL refused", log_name());
    return refuse("not-authorized");
  }
  sasl_done_ = true;
  authenticated(local_domain_, authzid);
  log::info("s2s {}: authenticated with SASL EXTERNAL ({})", log_name(),
            net::tls_version(socket().native_handle()));
  write("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  parser().reset();
}

void S2sInbound::handle_db_result(const xml::Element& result) {
  if (result.attr("type")) return;  // responses only travel on outbound streams
  if (!dialback_allowed()) {
    fail("policy-violation", "TLS required");
    return;
  }
  auto from = s2s::jid_domain(result.attr_or("from"));
  auto to = s2s::jid_domain(result.attr_or("to"));
  if (!from || !to) {
    fail("improper-addressing");
    return;
  }
  if (!host_->serves(*to)) {
    fail("host-unknown");
    return;
  }
  std::string remote = *from;
  std::string local = *to;
  if (!check_allowed(remote)) return;
  auto answer = [this, remote, local](bool valid) {
    if (closed()) return;
    if (valid) {
      authenticated(local, remote);
      log::info("s2s {}: authenticated {} with dialback ({})", log_name(), remote,
                tls_active() ? net::tls_version(socket().native_handle()) : "no TLS");
    } else {
      log::info("s2s {}: dialback for {} refused", log_name(), remote);
    }
    xml::Element reply("result", std::string(kDialbackNs));
    reply.set_attr("from", local).set_attr("to", remote);
    reply.set_attr("type", valid ? "valid" : "invalid");
    write(reply);
  };
  // XEP-0344: a certificate valid for the domain is as good as a verify.
  if (certificate_valid_for(remote)) return answer(true);
  if (host_->config().require_valid_certificates) return answer(false);
  std::weak_ptr<StreamConnection> weak = shared_from_this();
  host_->verify_dialback(local, remote, stream_id_, result.text(), [weak, answer](bool valid) {
    if (auto self = weak.lock()) answer(valid);
  });
}

void S2sInbound::authenticated(const std::string& local, const std::string& remote) {
  authenticated_.insert(remote);
  if (bidi_ && host_) host_->bidi_ready(this, local, remote);
}

void S2sInbound::handle_db_verify(const xml::Element& verify) {
  if (verify.attr("type")) return;
  if (!dialback_allowed()) {
    fail("policy-violation", "TLS required");
    return;
  }
  auto from = s2s::jid_domain(verify.attr_or("from"));
  auto to = s2s::jid_domain(verify.attr_or("to"));
  std::string id(verify.attr_or("id"));
  if (!from || !to) {
    fail("improper-addressing");
    return;
  }
  // The peer (receiving server) asks whether we (originating) made this key.
  bool valid = host_->serves(*to) && !id.empty() &&
               dialback_key_matches(host_->dialback_secret(), *from, *to, id, verify.text());
  xml::Element reply("verify", std::string(kDialbackNs));
  reply.set_attr("from", *to).set_attr("to", *from).set_attr("id", id);
  reply.set_attr("type", valid ? "valid" : "invalid");
  write(reply);
}

void S2sInbound::handle_stanza(xml::Element stanza) {
  if (authenticated_.empty()) {
    fail("not-authorized");
    return;
  }
  auto from = s2s::jid_domain(stanza.attr_or("from"));
  if (!from || !authenticated_.contains(*from)) {
    log::info("s2s {}: stanza from a domain this stream is not authenticated for", log_name());
    fail("invalid-from");
    return;
  }
  auto to = s2s::jid_domain(stanza.attr_or("to"));
  if (!to || !host_->serves(*to)) {
    fail("host-unknown");
    return;
  }
  sm_.handled();
  admit_stanza(*host_, *this, log_name(), *from, std::move(stanza));
}

}  // namespace herald::xmpp
