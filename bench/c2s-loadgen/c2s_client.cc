#include "c2s-loadgen/c2s_client.h"

#include "base/encoding.h"
#include "net/tls.h"
#include "xml/serializer.h"

namespace herald::bench {

namespace {

constexpr std::string_view kClientNs = "jabber:client";
constexpr std::string_view kTlsNs = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view kSessionNs = "urn:ietf:params:xml:ns:xmpp-session";
constexpr std::string_view kRosterNs = "jabber:iq:roster";
constexpr std::string_view kPingNs = "urn:xmpp:ping";
// Online clients only wait; the server, not us, decides when a session is idle.
constexpr auto kNoIdleTimeout = std::chrono::hours(24 * 365);

const char* state_name(int s) {
  static const char* names[] = {"connecting", "features", "starttls", "handshake",
                                "tls_features", "sasl", "bound_features", "bind",
                                "session", "roster", "online", "closing"};
  return names[s];
}

std::optional<xmpp::sasl::Hash> scram_hash(std::string_view mechanism) {
  if (mechanism.rfind("SCRAM-", 0) != 0) return std::nullopt;
  return xmpp::sasl::parse_hash_name(mechanism.substr(6));
}

}  // namespace

CertificateCheck::~CertificateCheck() { X509_free(last_valid_); }

bool CertificateCheck::valid(SSL* ssl, X509_STORE* trust, const std::string& domain) {
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (!leaf) return false;
  if (last_valid_ && X509_cmp(leaf, last_valid_) == 0) return true;  // the same DER
  if (!net::peer_certificate_valid(ssl, trust, domain)) return false;
  X509_up_ref(leaf);
  X509_free(last_valid_);
  last_valid_ = leaf;
  return true;
}

std::shared_ptr<C2sClient> C2sClient::create(asio::io_context& io, const ClientSettings& settings,
                                             Listener& listener, uint32_t user) {
  return std::shared_ptr<C2sClient>(new C2sClient(io, settings, listener, user));
}

C2sClient::C2sClient(asio::io_context& io, const ClientSettings& settings, Listener& listener,
                     uint32_t user)
    : StreamConnection(xmpp::kClientStream, io, *settings.tls, xml::StreamLimits{1024 * 1024, 32},
                       kNoIdleTimeout),
      settings_(settings),
      listener_(listener),
      user_(user),
      deadline_(io) {}

std::string C2sClient::log_name() const { return "c2s-loadgen client " + std::to_string(user_); }

std::string C2sClient::username() const { return settings_.user_prefix + std::to_string(user_); }

void C2sClient::start() {
  auto self = std::static_pointer_cast<C2sClient>(shared_from_this());
  started_ = Clock::now();
  deadline_.expires_after(settings_.timeout);
  deadline_.async_wait([self](const asio::error_code& ec) {
    if (ec || self->state_ == State::online || self->closed()) return;
    self->give_up(std::string("timed out in state ") + state_name(int(self->state_)));
  });
  socket().lowest_layer().async_connect(settings_.server, [self](const asio::error_code& ec) {
    if (self->closed()) return;
    if (ec) return self->give_up("connect: " + ec.message());
    self->state_ = State::features;
    self->open_stream();
    self->start_reading();
  });
}

void C2sClient::open_stream() {
  write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en' to='" +
        xml::escape_attribute(settings_.domain) + "'>");
  mark_header_sent();
}

void C2sClient::send(const xml::Element& element) { write(xml::serialize(element, kClientNs)); }

void C2sClient::give_up(std::string error) {
  if (error_.empty()) error_ = std::move(error);
  abort();
}

void C2sClient::on_stream_open(const xml::Element& header) {
  if (header.text() != kClientNs) give_up("stream namespace is not jabber:client");
}

void C2sClient::on_stream_close() {
  if (error_.empty() && !logout_requested_)
    error_ = std::string("server closed the stream in state ") + state_name(int(state_));
  close_stream();
}

void C2sClient::on_element(xml::Element element) {
  if (element.is("features", xml::kStreamNs)) return on_features(element);
  if (element.is("error", xml::kStreamNs)) {
    std::string condition = element.children().empty() ? "?" : element.children()[0].name();
    error_ = std::string("stream error in state ") + state_name(int(state_)) + ": " + condition;
    close_stream();
    return;
  }
  if (element.ns() == kSaslNs) return on_sasl(element);
  if (element.is("proceed", kTlsNs) && state_ == State::starttls) {
    parser().reset();
    state_ = State::handshake;
    after_chunk([this] {
      net::prepare_client(socket().native_handle(), settings_.domain, false);
      tls_handshake(asio::ssl::stream_base::client, [this] {
        if (settings_.trust &&
            !settings_.check->valid(socket().native_handle(), settings_.trust, settings_.domain))
          return give_up("the server's certificate is not valid for " + settings_.domain);
        state_ = State::tls_features;
        open_stream();
        resume_reading();
      });
    });
    return;
  }
  if (element.is("failure", kTlsNs)) return give_up("STARTTLS refused");
  if (element.ns() != kClientNs) return;
  if (element.name() == "message") {
    if (state_ != State::online) return;
    if (const xml::Element* body = element.child("body", kClientNs))
      listener_.on_message(*this, body->text());
  } else if (element.name() == "iq") {
    std::string_view type = element.attr_or("type");
    if (type == "result" || type == "error")
      on_iq_result(element);
    else
      answer_iq(element);
  }
  // Presence (from contacts) needs nothing from us.
}

void C2sClient::on_features(const xml::Element& features) {
  if (state_ == State::features) {
    if (!features.child("starttls", kTlsNs)) return give_up("the server offers no STARTTLS");
    xml::Element starttls("starttls", std::string(kTlsNs));
    send(starttls);
    state_ = State::starttls;
  } else if (state_ == State::tls_features) {
    const xml::Element* mechanisms = features.child("mechanisms", kSaslNs);
    if (!mechanisms) return give_up("no SASL mechanisms after STARTTLS");
    start_auth(*mechanisms);
  } else if (state_ == State::bound_features) {
    if (!features.child("bind", kBindNs)) return give_up("no resource binding offered");
    const xml::Element* session = features.child("session", kSessionNs);
    session_required_ = session && !session->child("optional", kSessionNs);
    xml::Element iq("iq", std::string(kClientNs));
    iq.set_attr("type", "set").set_attr("id", "bind");
    iq.add_child("bind", std::string(kBindNs))
        .add_child("resource", std::string(kBindNs))
        .set_text(settings_.resource);
    send(iq);
    state_ = State::bind;
  }
}

void C2sClient::start_auth(const xml::Element& mechanisms) {
  bool offered = false;
  std::string list;
  for (const auto& m : mechanisms.children()) {
    if (m.text() == settings_.mechanism) offered = true;
    list += (list.empty() ? "" : " ") + m.text();
  }
  if (!offered) return give_up(settings_.mechanism + " not offered (offered: " + list + ")");
  std::string initial;
  if (auto hash = scram_hash(settings_.mechanism)) {
    xmpp::sasl::ScramClientOptions options;
    options.cache = settings_.cache;
    scram_ = std::make_unique<xmpp::sasl::ScramClient>(*hash, username(), settings_.password,
                                                       std::nullopt, false, options);
    initial = scram_->client_first();
    if (initial.empty()) return give_up("SCRAM: " + scram_->error());
  } else if (settings_.mechanism == "PLAIN") {
    initial = std::string(1, '\0') + username() + std::string(1, '\0') + settings_.password;
  } else {
    return give_up("unsupported mechanism " + settings_.mechanism);
  }
  xml::Element auth("auth", std::string(kSaslNs));
  auth.set_attr("mechanism", settings_.mechanism).set_text(base64_encode(initial));
  send(auth);
  state_ = State::sasl;
}

void C2sClient::on_sasl(const xml::Element& element) {
  if (state_ != State::sasl) return give_up("SASL element out of order: " + element.name());
  auto payload = base64_decode(element.text());
  if (!payload) return give_up("SASL " + element.name() + " is not base64");
  if (element.name() == "challenge") {
    if (!scram_) return give_up("challenge for PLAIN");
    auto final_message = scram_->client_final(*payload);
    if (!final_message) return give_up("SCRAM: " + scram_->error());
    xml::Element response("response", std::string(kSaslNs));
    response.set_text(base64_encode(*final_message));
    send(response);
  } else if (element.name() == "success") {
    if (scram_ && !scram_->verify_server_final(*payload))
      return give_up("SCRAM: the server's signature does not match");
    scram_.reset();
    parser().reset();
    state_ = State::bound_features;
    open_stream();
  } else if (element.name() == "failure") {
    std::string condition = element.children().empty() ? "?" : element.children()[0].name();
    give_up("SASL failure: " + condition);
  }
}

void C2sClient::on_iq_result(const xml::Element& iq) {
  std::string_view id = iq.attr_or("id");
  if (iq.attr_or("type") == "error")
    return give_up(std::string("iq ") + std::string(id) + " refused: " + xml::serialize(iq, kClientNs));
  if (id == "bind" && state_ == State::bind) {
    if (session_required_) {
      xml::Element s("iq", std::string(kClientNs));
      s.set_attr("type", "set").set_attr("id", "session");
      s.add_child("session", std::string(kSessionNs));
      send(s);
      state_ = State::session;
      return;
    }
  } else if (id == "session" && state_ == State::session) {
  } else if (id == "roster" && state_ == State::roster) {
    if (const xml::Element* query = iq.child("query", kRosterNs))
      roster_items_ = uint32_t(query->children().size());
    go_online();
    return;
  } else {
    return;
  }
  if (settings_.fetch_roster) {
    xml::Element get("iq", std::string(kClientNs));
    get.set_attr("type", "get").set_attr("id", "roster");
    get.add_child("query", std::string(kRosterNs));
    send(get);
    state_ = State::roster;
    return;
  }
  go_online();
}

void C2sClient::answer_iq(const xml::Element& iq) {
  // Pings and roster pushes get a result; anything else is not served here.
  xml::Element reply("iq", std::string(kClientNs));
  reply.set_attr("id", std::string(iq.attr_or("id")));
  if (const std::string* from = iq.attr("from")) reply.set_attr("to", *from);
  bool known = iq.child("ping", kPingNs) || iq.child("query", kRosterNs);
  reply.set_attr("type", known ? "result" : "error");
  if (!known)
    reply.add_child("error", std::string(kClientNs))
        .set_attr("type", "cancel")
        .add_child("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas");
  send(reply);
}

void C2sClient::go_online() {
  send(xml::Element("presence", std::string(kClientNs)));
  state_ = State::online;
  online_at_ = Clock::now();
  deadline_.cancel();
  listener_.on_online(*this);
}

void C2sClient::send_message(uint32_t to, std::string_view body) {
  if (state_ != State::online) return;
  xml::Element message("message", std::string(kClientNs));
  message.set_attr("to", settings_.user_prefix + std::to_string(to) + "@" + settings_.domain)
      .set_attr("type", "chat")
      .set_attr("id", "m" + std::to_string(++sent_));
  message.add_child("body", std::string(kClientNs)).set_text(std::string(body));
  send(message);
}

void C2sClient::logout() {
  if (closed()) return;
  logout_requested_ = true;
  state_ = State::closing;
  close_stream();
}

void C2sClient::on_disconnected() {
  deadline_.cancel();
  if (!logout_requested_ && error_.empty())
    error_ = std::string("connection closed in state ") + state_name(int(state_));
  listener_.on_closed(*this, logout_requested_ ? std::string() : error_);
}

}  // namespace herald::bench
