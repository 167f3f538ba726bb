#include "xmpp/c2s/c2s_session.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/log.h"
#include "xml/serializer.h"
#include "xmpp/c2s/c2s_features.h"
#include "xmpp/iq.h"
#include "xmpp/stanza_check.h"
#include "xmpp/stream.h"

namespace herald::xmpp {

namespace {
constexpr std::string_view kPingNs = "urn:xmpp:ping";

bool is_request(const xml::Element& stanza, std::string_view type) {
  return stanza.name() == "iq" && stanza.attr_or("type") == type;
}
}  // namespace

struct C2sSession::Negotiation {
  asio::ip::address address;  // for the host's abuse filter only
  sasl::ChannelBindings bindings;
  bool bindings_known = false;
  std::shared_ptr<C2sSasl> sasl;  // the attempt in progress
  size_t failures = 0;
  size_t bytes = 0;  // read before authentication
};

std::shared_ptr<C2sSession> C2sSession::create(asio::io_context& loop, asio::ssl::context& tls,
                                               C2sHost& host) {
  return std::shared_ptr<C2sSession>(new C2sSession(loop, tls, host));
}

C2sSession::C2sSession(asio::io_context& loop, asio::ssl::context& tls, C2sHost& host)
    : StreamConnection(kClientStream, loop, tls, host.c2s_config().limits,
                       host.c2s_config().idle_timeout),
      host_(&host),
      config_(host.c2s_config()),
      negotiation_(std::make_unique<Negotiation>()),
      timer_(loop) {
  set_max_pending_stanzas(config_.max_pending_stanzas);
}

void C2sSession::start(const asio::ip::address& address, bool direct_tls) {
  negotiation_->address = address;
  if (!host_->admit_address(address)) {
    log::info("c2s: refusing a connection from a blocked address");
    refuse(direct_tls, "policy-violation", "connections from your address are refused for now");
    return;
  }
  std::weak_ptr<StreamConnection> weak = shared_from_this();
  timer_.expires_after(config_.auth_timeout);
  timer_.async_wait([weak, this](const asio::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || closed() || stage_ == Stage::bound) return;
    fail("connection-timeout", "log in sooner");
  });
  if (direct_tls)
    tls_handshake(asio::ssl::stream_base::server, [this] { start_reading(); });
  else
    start_reading();
}

void C2sSession::refuse(bool direct_tls, std::string_view condition, std::string_view text) {
  if (direct_tls)
    abort();
  else
    fail(condition, text);
}

std::string C2sSession::log_name() const {
  return domain_.empty() ? std::string("(no host yet)") : "on " + domain_;
}

void C2sSession::on_disconnected() {
  timer_.cancel();
  drop_held();
  log::debug("c2s {}: closed", log_name());
  if (stage_ == Stage::bound) host_->unbound(*this);
  if (on_closed_) {
    auto callback = std::move(on_closed_);
    on_closed_ = nullptr;
    callback();
  }
}

void C2sSession::on_bytes_read(std::size_t n) {
  if (stage_ != Stage::negotiating) return;
  negotiation_->bytes += n;
  if (negotiation_->bytes > config_.max_unauthenticated_bytes)
    fail("policy-violation", "too much data before authentication");
}

void C2sSession::on_stream_open(const xml::Element& header) {
  auto domain = normalize_domain(header.attr_or("to"));
  bool known = domain && host_->serves_host(*domain);
  bool same = domain_.empty() || (domain && *domain == domain_);
  // Our header first, so that an error below is well-formed.
  write(stream_header(kClientNs, known && same ? *domain : std::string(), {}, new_stream_id(),
                      "xml:lang='en'"));
  mark_header_sent();
  if (header.text() != kClientNs) return fail("invalid-namespace", "expected jabber:client");
  if (!known || !same) return fail("host-unknown");
  domain_ = *domain;
  // RFC 6120 4.7.5: no version means before 1.0, which we do not speak.
  std::string_view version = header.attr_or("version");
  size_t dot = version.find('.');
  std::string_view major = version.substr(0, dot);
  if (major.empty() || dot == std::string_view::npos ||
      !std::all_of(major.begin(), major.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      (major.size() == 1 && major[0] == '0'))
    return fail("unsupported-version", "XMPP 1.0 is required");
  send_features();
}

void C2sSession::send_features() {
  C2sStage stage;
  stage.tls = tls_active();
  stage.authenticated = stage_ != Stage::negotiating;
  if (stage.tls && !stage.authenticated) {
    Negotiation& n = *negotiation_;
    if (!n.bindings_known) {
      n.bindings_known = true;
      SSL* ssl = socket().native_handle();
      for (auto type : sasl::available_channel_bindings(ssl)) {
        auto data = sasl::channel_binding_data(ssl, type);
        if (!data) continue;
        n.bindings.offered.push_back(type);
        n.bindings.data.emplace_back(type, std::move(*data));
      }
      n.bindings.plus_advertised = !n.bindings.offered.empty();
    }
    stage.mechanisms = C2sSasl::mechanisms(config_, true, n.bindings);
    stage.channel_bindings = n.bindings.offered;
  }
  write(c2s_features(stage));
}

void C2sSession::on_stream_close() {
  close_stream();
}

void C2sSession::on_element(xml::Element element) {
  if (waiting() || holding()) {
    held_.push_back(std::move(element));
    return;
  }
  handle(std::move(element));
}

void C2sSession::handle(xml::Element element) {
  switch (stage_) {
    case Stage::negotiating:
      return handle_negotiation(element);
    case Stage::authenticated:
      if (is_request(element, "set") && element.child("bind", kBindNs))
        return handle_bind(element);
      if (is_stanza(element, kClientNs)) return fail("not-authorized", "bind a resource first");
      return fail("unsupported-stanza-type");
    case Stage::bound:
      if (is_stanza(element, kClientNs)) return handle_stanza(std::move(element));
      return fail("unsupported-stanza-type");
  }
}

// --- negotiation --------------------------------------------------------------

void C2sSession::handle_negotiation(const xml::Element& element) {
  if (element.is("starttls", kTlsNs)) {
    handle_starttls();
  } else if (element.is("auth", kSaslNs)) {
    handle_auth(element);
  } else if (element.is("response", kSaslNs)) {
    handle_response(element);
  } else if (element.is("abort", kSaslNs)) {
    sasl_failed("aborted");
  } else if (is_stanza(element, kClientNs)) {
    fail("not-authorized", "log in first");
  } else {
    fail("unsupported-stanza-type");
  }
}

void C2sSession::handle_starttls() {
  if (tls_active()) return fail("policy-violation", "TLS is already active");
  write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  parser().reset();  // a new stream starts over TLS; what followed is dropped
  after_chunk(
      [this] { tls_handshake(asio::ssl::stream_base::server, [this] { resume_reading(); }); });
}

void C2sSession::handle_auth(const xml::Element& auth) {
  std::optional<std::string> initial;
  const std::string& text = auth.text();
  if (text == "=") {
    initial = std::string();
  } else if (!text.empty()) {
    initial = base64_decode(text);
    if (!initial) return sasl_failed("incorrect-encoding");
  }
  auto sasl = C2sSasl::create(*host_, domain_, tls_active(), negotiation_->bindings);
  negotiation_->sasl = sasl;  // replaces an attempt the client gave up on
  std::string mechanism(auth.attr_or("mechanism"));
  run_sasl(sasl, [&](C2sSasl::Done done) { sasl->start(mechanism, initial, std::move(done)); });
}

void C2sSession::handle_response(const xml::Element& response) {
  auto sasl = negotiation_->sasl;
  if (!sasl) return sasl_failed("malformed-request", "no authentication is running");
  const std::string& text = response.text();
  auto decoded = text == "=" ? std::string() : base64_decode(text);
  if (!decoded) return sasl_failed("incorrect-encoding");
  run_sasl(sasl, [&](C2sSasl::Done done) { sasl->respond(*decoded, std::move(done)); });
}

void C2sSession::run_sasl(const std::shared_ptr<C2sSasl>& sasl,
                          const std::function<void(C2sSasl::Done)>& step) {
  begin_wait();
  std::weak_ptr<StreamConnection> weak = shared_from_this();
  step([weak, this, sasl](C2sSasl::Step answer) {
    auto self = weak.lock();
    if (!self || closed()) return;
    // Elements wait while an answer is due, so none can supersede it;
    // checked all the same.
    if (stage_ != Stage::negotiating || negotiation_->sasl != sasl) return;
    sasl_answer(std::move(answer));
    end_wait();
  });
}

void C2sSession::sasl_answer(C2sSasl::Step step) {
  using Kind = C2sSasl::Step::Kind;
  auto element = [](std::string_view name, const std::string& data) {
    xml::Element e{std::string(name), std::string(kSaslNs)};
    if (!data.empty()) e.set_text(base64_encode(data));
    return e;
  };
  if (step.kind == Kind::failure) return sasl_failed(step.condition, step.text);
  if (step.kind == Kind::challenge) return write(element("challenge", step.data));
  write(element("success", step.data));
  log::debug("c2s {}: authenticated with {}", log_name(), negotiation_->sasl->mechanism());
  jid_ = step.jid;
  stage_ = Stage::authenticated;
  negotiation_.reset();  // the address too: not needed once authenticated
  host_->authenticated(*jid_);
  // The client restarts the stream; nothing it sent before may carry over.
  parser().reset();
  drop_held();
}

void C2sSession::sasl_failed(std::string_view condition, std::string_view text) {
  Negotiation& n = *negotiation_;
  n.sasl.reset();
  std::string failure = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><";
  failure.append(condition).append("/>");
  if (!text.empty()) failure.append("<text>").append(xml::escape_text(text)).append("</text>");
  failure.append("</failure>");
  write(failure);
  log::debug("c2s {}: authentication failed: {}", log_name(), condition);
  if (condition == "not-authorized") host_->authentication_failed(n.address);
  if (++n.failures >= config_.max_auth_attempts)
    fail("policy-violation", "too many failed authentication attempts");
}

void C2sSession::handle_bind(const xml::Element& iq) {
  std::string resource;
  if (const auto* r = iq.child("bind", kBindNs)->child("resource", kBindNs)) resource = r->text();
  if (!resource.empty()) {
    auto full = Jid::parse(jid_->str() + "/" + resource);
    if (!full) return write(make_error(iq, ErrorType::modify, "bad-request", "invalid resource"));
    resource = full->resource();
  }
  begin_wait();
  std::weak_ptr<StreamConnection> weak = shared_from_this();
  auto self = std::static_pointer_cast<C2sSession>(shared_from_this());
  host_->bind(self, *jid_, resource, [weak, this, request = iq](Result<Jid> bound) {
    auto self = weak.lock();
    if (!self) return;
    if (closing()) {
      // Gone while the host bound it: the host must forget it again.
      if (bound.ok()) host_->unbound(*this);
      return;
    }
    if (!bound.ok()) {
      const Status& s = bound.status();
      if (s.is(StatusCode::exists))
        write(make_error(request, ErrorType::cancel, "conflict", "resource in use"));
      else if (s.is(StatusCode::invalid))
        write(make_error(request, ErrorType::modify, "bad-request", "invalid resource"));
      else if (s.is(StatusCode::unavailable))
        write(make_error(request, ErrorType::wait, "resource-constraint"));
      else
        write(make_error(request, ErrorType::wait, "internal-server-error"));
      return end_wait();
    }
    jid_ = std::move(*bound);
    stage_ = Stage::bound;
    timer_.cancel();  // the negotiation's deadline; the rate wait from now on
    tokens_ = config_.stanza_burst;
    refilled_ = std::chrono::steady_clock::now();
    xml::Element reply = make_result(request);
    reply.add_child("bind", std::string(kBindNs))
        .add_child("jid", std::string(kBindNs))
        .set_text(jid_->str());
    write(reply);
    log::debug("c2s {}: resource bound", log_name());
    end_wait();
  });
}

// --- stanzas ------------------------------------------------------------------

void C2sSession::handle_stanza(xml::Element stanza) {
  take_rate_token();
  if (const std::string* from = stanza.attr("from")) {
    auto claimed = Jid::parse(*from);
    if (!claimed || (*claimed != *jid_ && *claimed != jid_->bare()))
      return fail("invalid-from", "'from' is not your address");
  }
  stanza.set_attr("from", jid_->str());
  std::optional<Jid> to;
  if (auto fault = check_stanza(stanza, &to)) {
    if (!answerable(stanza)) return;
    // The reply comes from the server, not from a malformed address.
    if (fault->condition == "jid-malformed") stanza.remove_attr("to");
    return write(make_error(stanza, fault->type, fault->condition, fault->text));
  }
  if (to) stanza.set_attr("to", to->str());
  if (answer_locally(stanza)) return;
  host_->from_client(*this, std::move(stanza));
}

bool C2sSession::answer_locally(const xml::Element& stanza) {
  if (stanza.name() != "iq") return false;
  const std::string* to = stanza.attr("to");
  if (to && *to != domain_) return false;
  if (is_request(stanza, "get") && stanza.child("ping", kPingNs)) {
    write(make_result(stanza));
  } else if (is_request(stanza, "set") && stanza.child("session", kSessionNs)) {
    write(make_result(stanza));  // RFC 3921 session: nothing left to do
  } else if (is_request(stanza, "set") && stanza.child("bind", kBindNs)) {
    write(make_error(stanza, ErrorType::cancel, "not-allowed", "a resource is already bound"));
  } else {
    return false;
  }
  return true;
}

void C2sSession::deliver(const xml::Element& stanza) {
  if (stage_ != Stage::bound || closing()) return;
  write(stanza);
}

void C2sSession::close(std::string_view condition, std::string_view text) {
  if (condition.empty())
    close_stream();
  else
    fail(condition, text);
}

// --- pausing ------------------------------------------------------------------

void C2sSession::take_rate_token() {
  if (config_.stanza_rate <= 0) return;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - refilled_).count();
  tokens_ = std::min(config_.stanza_burst, tokens_ + elapsed * config_.stanza_rate);
  refilled_ = now;
  tokens_ -= 1;
  if (tokens_ >= 0 || rate_wait_) return;
  // Over the rate: read nothing more until the bucket is back at zero.
  rate_wait_ = true;
  pause_after_chunk();
  auto wait = std::chrono::duration<double>(-tokens_ / config_.stanza_rate);
  timer_.expires_after(std::chrono::ceil<std::chrono::milliseconds>(wait));
  std::weak_ptr<StreamConnection> weak = shared_from_this();
  timer_.async_wait([weak, this](const asio::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || closed()) return;
    rate_wait_ = false;
    drain();
    maybe_resume();
  });
}

void C2sSession::begin_wait() {
  busy_ = true;
  pause_after_chunk();
}

void C2sSession::end_wait() {
  busy_ = false;
  drain();
  maybe_resume();
}

void C2sSession::pause_after_chunk() {
  // Runs once the current read's elements are parsed and its replies
  // written: no read is started until maybe_resume() finds nothing waiting.
  after_chunk([this] {
    paused_ = true;
    maybe_resume();
  });
}

void C2sSession::drain() {
  while (!waiting() && holding() && !closing()) {
    xml::Element next = std::move(held_[held_next_++]);
    handle(std::move(next));
  }
  if (!holding()) drop_held();
}

void C2sSession::drop_held() {
  std::vector<xml::Element>().swap(held_);
  held_next_ = 0;
}

void C2sSession::maybe_resume() {
  if (!paused_ || waiting() || holding() || closed()) return;
  paused_ = false;
  resume_reading();
}

}  // namespace herald::xmpp
