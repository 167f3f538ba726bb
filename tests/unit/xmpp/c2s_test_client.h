// A small blocking XMPP client for the c2s tests: a real socket, real TLS
// (OpenSSL, any certificate accepted), and the stream parser to read what
// the server says. Runs on the test's thread while the server's loop runs
// on another.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "base/encoding.h"
#include "xml/serializer.h"
#include "xml/stream_parser.h"
#include "xmpp/sasl/channel_binding.h"
#include "xmpp/sasl/scram.h"

namespace herald::xmpp::test {

using namespace std::chrono_literals;

struct TlsOptions {
  int max_version = 0;     // e.g. TLS1_2_VERSION; 0: the highest
  std::string alpn;        // offered for direct TLS
  std::string sni = "example.org";
};

class TestClient : private xml::StreamParser::Handler {
 public:
  explicit TestClient(uint16_t port) : parser_(*this, {1 << 20, 64}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~TestClient() override {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  SSL* ssl() { return ssl_; }

  void send(std::string_view bytes) {
    if (ssl_)
      SSL_write(ssl_, bytes.data(), int(bytes.size()));
    else
      (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  void send(const xml::Element& e) { send(xml::serialize(e, "jabber:client")); }

  // The next top-level element; the stream header comes as an element named
  // "stream" (its default namespace as text). nullopt when nothing came in
  // time or the connection closed (closed() tells).
  std::optional<xml::Element> next(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (events_.empty() && !closed_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      if (!read_some(int(left.count()))) break;
    }
    if (events_.empty()) return std::nullopt;
    xml::Element e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  // Waits for the server to close the connection (after its </stream>).
  bool wait_closed(std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      read_some(int(std::max<long>(1, left.count())));
    }
    return closed_;
  }
  bool closed() const { return closed_; }
  bool stream_closed() const { return stream_closed_; }

  // Sends a header to `to`; returns the features (after the header).
  std::optional<xml::Element> open(const std::string& to = "example.org") {
    parser_.reset();
    send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
         "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' to='" + to + "'>");
    auto header = next();
    if (!header || header->name() != "stream") return header;
    return next();
  }
  // <starttls/>, <proceed/>, the handshake.
  bool starttls(const TlsOptions& options = {}) {
    send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    auto proceed = next();
    return proceed && proceed->name() == "proceed" && handshake(options);
  }
  bool handshake(const TlsOptions& options = {}) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (options.max_version) SSL_CTX_set_max_proto_version(ctx_, options.max_version);
    ssl_ = SSL_new(ctx_);
    SSL_set_tlsext_host_name(ssl_, options.sni.c_str());
    if (!options.alpn.empty()) {
      std::string wire = char(options.alpn.size()) + options.alpn;
      SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(wire.data()),
                          unsigned(wire.size()));
    }
    SSL_set_fd(ssl_, fd_);
    return SSL_connect(ssl_) == 1;
  }

  // One SASL exchange with the given SCRAM client; returns the last
  // element (<success/> or <failure/>), or nullopt.
  std::optional<xml::Element> scram(const std::string& mechanism, sasl::ScramClient& client,
                                    bool* server_verified = nullptr) {
    send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + mechanism + "'>" +
         base64_encode(client.client_first()) + "</auth>");
    auto challenge = next();
    if (!challenge || challenge->name() != "challenge") return challenge;
    auto server_first = base64_decode(challenge->text());
    auto final = client.client_final(server_first.value_or(""));
    if (!final) return std::nullopt;
    last_server_first_ = *server_first;
    send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64_encode(*final) +
         "</response>");
    auto outcome = next();
    if (outcome && outcome->name() == "success" && server_verified)
      *server_verified = client.verify_server_final(base64_decode(outcome->text()).value_or(""));
    return outcome;
  }
  const std::string& last_server_first() const { return last_server_first_; }

  // <iq type='set'><bind><resource/></bind></iq>; returns the reply.
  std::optional<xml::Element> bind(const std::string& resource, const std::string& id = "b1") {
    std::string r = resource.empty() ? "" : "<resource>" + resource + "</resource>";
    send("<iq type='set' id='" + id + "'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" + r +
         "</bind></iq>");
    return next();
  }

 private:
  bool read_some(int timeout_ms) {
    if (!(ssl_ && SSL_pending(ssl_) > 0)) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return false;
    }
    char buf[16384];
    int n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : int(::recv(fd_, buf, sizeof buf, 0));
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    if (auto error = parser_.feed(std::string_view(buf, size_t(n)))) {
      closed_ = true;
      return false;
    }
    return true;
  }
  void on_stream_open(const xml::Element& header) override {
    xml::Element e("stream", header.ns());
    e.set_text(header.text());
    for (const auto& a : header.attributes()) e.mutable_attributes().push_back(a);
    events_.push_back(std::move(e));
  }
  void on_element(xml::Element element) override { events_.push_back(std::move(element)); }
  void on_stream_close() override { stream_closed_ = true; }

  int fd_ = -1;
  bool connected_ = false;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  xml::StreamParser parser_;
  std::deque<xml::Element> events_;
  bool closed_ = false;
  bool stream_closed_ = false;
  std::string last_server_first_;
};

// The condition of a <stream:error/>, <failure/> or stanza <error/>
// (the first child in the conditions' namespace), or "".
inline std::string condition_of(const std::optional<xml::Element>& e) {
  if (!e) return "";
  const xml::Element* where = &*e;
  if (e->name() != "error" && e->name() != "failure") {
    where = nullptr;
    for (const auto& c : e->children())
      if (c.name() == "error") where = &c;
    if (!where) return "";
  }
  for (const auto& c : where->children())
    if (c.name() != "text") return c.name();
  return "";
}

// STARTTLS, SCRAM-SHA-256 as alice, the restart and a bind: the full JID
// bound, or "" (with the step that failed in *why).
inline std::string log_in(TestClient& c, const std::string& resource = "phone",
                          const std::string& host = "example.org", std::string* why = nullptr) {
  auto fail = [&](const char* step) {
    if (why) *why = step;
    return std::string();
  };
  if (!c.open(host) || !c.starttls() || !c.open(host)) return fail("TLS");
  sasl::ScramClient scram(sasl::Hash::sha256, "alice", "correct horse");
  auto outcome = c.scram("SCRAM-SHA-256", scram);
  if (!outcome || outcome->name() != "success") return fail("SASL");
  if (!c.open(host)) return fail("restart");
  auto reply = c.bind(resource);
  const xml::Element* bind = reply ? reply->child("bind", "urn:ietf:params:xml:ns:xmpp-bind") : nullptr;
  const xml::Element* jid = bind ? bind->child("jid", "urn:ietf:params:xml:ns:xmpp-bind") : nullptr;
  if (!jid) return fail("bind");
  return jid->text();
}

}  // namespace herald::xmpp::test
