#include "xmpp/component_link.h"

#include <openssl/sha.h>

#include "base/encoding.h"
#include "base/log.h"
#include "xmpp/iq.h"
#include "xmpp/stanza_rules.h"
#include "xmpp/stream_connection.h"
#include "xmpp/s2s/s2s_stream.h"

namespace herald::xmpp {
namespace {

constexpr std::string_view kComponentNs = "jabber:component:accept";

std::string handshake_digest(const std::string& stream_id, const std::string& secret) {
  std::string input = stream_id + secret;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return hex_encode(std::string(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace

// One connection attempt.
class ComponentStream : public StreamConnection {
 public:
  ComponentStream(asio::io_context& io, asio::ssl::context& tls, const ComponentConfig& config,
                  std::weak_ptr<ComponentLink> link)
      : StreamConnection(kServerStream, io, tls, config.limits, std::chrono::hours(24)),
        config_(config),
        link_(std::move(link)) {
    set_max_pending_stanzas(config.max_queued_stanzas);
  }

  void start(asio::ip::tcp::endpoint endpoint) {
    auto self = std::static_pointer_cast<ComponentStream>(shared_from_this());
    socket().lowest_layer().async_connect(endpoint, [self](const asio::error_code& ec) {
      if (self->closed()) return;
      if (ec) {
        log::info("component {}: cannot connect to the server: {}", self->config_.domain,
                  ec.message());
        self->abort();
        return;
      }
      self->write(
          "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
          "xmlns:stream='http://etherx.jabber.org/streams' to='" +
          self->config_.domain + "'>");
      self->mark_header_sent();
      self->start_reading();
    });
  }
  void send(const xml::Element& stanza) { write(stanza); }

 private:
  void on_stream_open(const xml::Element& header) override {
    std::string id(header.attr_or("id"));
    if (id.empty()) {
      fail("invalid-id", "no stream id for the handshake");
      return;
    }
    write("<handshake>" + handshake_digest(id, config_.secret) + "</handshake>");
  }
  void on_element(xml::Element element) override {
    if (element.name() == "handshake" && element.ns() == kComponentNs) {
      if (!ready_) {
        ready_ = true;
        if (auto link = link_.lock()) link->on_ready();
      }
      return;
    }
    if (element.is("error", s2s::kStreamNs)) {
      std::string condition = element.children().empty() ? "" : element.children()[0].name();
      log::warn("component {}: stream error from the server: {}", config_.domain, condition);
      close_stream();
      return;
    }
    if (!ready_) {
      fail("not-authorized");
      return;
    }
    // Stanzas arrive in the component namespace; the rest of Herald speaks
    // jabber:server (the stream's default namespace, so only elements in
    // it change; mixed content stays as it came).
    element.rename_namespace(kComponentNs, s2s::kServerNs);
    if (auto link = link_.lock()) link->on_stanza(std::move(element));
  }
  void on_stream_close() override { close_stream(); }
  void on_disconnected() override {
    if (auto link = link_.lock()) link->on_closed();
  }
  std::string log_name() const override { return "component " + config_.domain; }

  ComponentConfig config_;  // a copy: the stream may outlive the link briefly
  std::weak_ptr<ComponentLink> link_;
  bool ready_ = false;
};

ComponentLink::ComponentLink(asio::io_context& io, ComponentConfig config, StanzaHandler& handler)
    : io_(io),
      config_(std::move(config)),
      handler_(handler),
      tls_(asio::ssl::context::tls_client),
      retry_timer_(io),
      backoff_(config_.backoff_initial) {}

ComponentLink::~ComponentLink() = default;

void ComponentLink::start() {
  stopped_ = false;
  connect();
}

void ComponentLink::stop() {
  stopped_ = true;
  retry_timer_.cancel();
  queue_.clear();
  if (stream_) stream_->close_stream();
}

void ComponentLink::connect() {
  if (stopped_ || stream_) return;
  asio::error_code ec;
  auto address = asio::ip::make_address(config_.host, ec);
  if (ec) {
    log::error("component {}: server address {} is not an IP address", config_.domain,
               config_.host);
    return;
  }
  stream_ = std::make_shared<ComponentStream>(io_, tls_, config_, weak_from_this());
  stream_->start({address, config_.port});
}

void ComponentLink::on_ready() {
  ready_ = true;
  ++connections_;
  backoff_ = config_.backoff_initial;
  log::info("component {}: connected to the server ({} queued stanzas)", config_.domain,
            queue_.size());
  while (!queue_.empty() && stream_) {
    stream_->send(queue_.front());
    queue_.pop_front();
  }
}

void ComponentLink::on_stanza(xml::Element stanza) {
  // The server relays for every sender: a bad stanza is refused on its own,
  // never with a stream error that would cut the link for everyone.
  StanzaVerdict verdict = check_stanza(stanza);
  if (verdict.kind == StanzaVerdict::Kind::unanswerable) {
    log::info("component {}: an IQ without an id, dropped", config_.domain);
    return;
  }
  if (verdict.kind == StanzaVerdict::Kind::bad_request) {
    log::info("component {}: a malformed IQ answered bad-request ({})", config_.domain,
              verdict.text);
    send(make_error(stanza, ErrorType::modify, "bad-request", verdict.text));
    return;
  }
  handler_.handle(std::move(stanza));
}

void ComponentLink::on_closed() {
  bool was_ready = ready_;
  ready_ = false;
  // Keep the stream object alive until the callback that reported this returns.
  asio::post(io_, [keep = std::move(stream_)] {});
  stream_.reset();
  if (stopped_) return;
  log::info("component {}: connection {}, retrying in {} ms", config_.domain,
            was_ready ? "lost" : "failed", backoff_.count());
  retry_later();
}

void ComponentLink::retry_later() {
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, config_.backoff_max);
  retry_timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->connect();
  });
}

void ComponentLink::send(xml::Element stanza) {
  if (stopped_) return;
  if (ready_ && stream_) {
    stream_->send(stanza);
    return;
  }
  if (queue_.size() >= config_.max_queued_stanzas) {
    if (dropped_++ % 100 == 0)
      log::info("component {}: not connected, queue full, dropping stanzas", config_.domain);
    return;
  }
  queue_.push_back(std::move(stanza));
}

}  // namespace herald::xmpp
