// Two (or three) S2sService instances on one io_context, talking over
// loopback with a throwaway PKI made by the openssl CLI in a temp dir.
#include "xmpp/s2s/s2s_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <asio/ssl.hpp>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "base/encoding.h"
#include "xml/serializer.h"

namespace herald::xmpp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// --- throwaway PKI ---------------------------------------------------------

struct Pki {
  fs::path dir;
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

bool run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

const Pki& pki() {
  static Pki* made = [] {
    char tmpl[] = "/tmp/herald-s2s-pki-XXXXXX";
    auto* p = new Pki{mkdtemp(tmpl)};
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(pki().dir, ignored);
    });
    std::string d = p->dir.string();
    std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    for (std::string ca : {"ca", "otherca"}) {
      EXPECT_TRUE(run("openssl req -x509 " + ec + " -keyout " + d + "/" + ca + ".key -out " + d +
                      "/" + ca + ".crt -days 2 -subj /CN=" + ca));
    }
    auto issue = [&](const std::string& name, const std::string& domain, const std::string& ca,
                     const std::string& eku) {
      std::ofstream(d + "/" + name + ".ext")
          << "subjectAltName=DNS:" << domain << "\nextendedKeyUsage=" << eku << "\n";
      EXPECT_TRUE(run("openssl req " + ec + " -keyout " + d + "/" + name + ".key -out " + d + "/" +
                      name + ".csr -subj /CN=" + domain));
      EXPECT_TRUE(run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d + "/" + ca +
                      ".crt -CAkey " + d + "/" + ca + ".key -CAcreateserial -out " + d + "/" +
                      name + ".crt -days 2 -extfile " + d + "/" + name + ".ext"));
    };
    issue("a.test", "a.test", "ca", "serverAuth,clientAuth");
    issue("b.test", "b.test", "ca", "serverAuth,clientAuth");
    issue("c.test", "c.test", "ca", "serverAuth");  // like Let's Encrypt today
    issue("a.test-untrusted", "a.test", "otherca", "serverAuth,clientAuth");
    return p;
  }();
  return *made;
}

// --- helpers -----------------------------------------------------------------

struct Recorder : StanzaHandler {
  std::vector<xml::Element> stanzas;
  void handle(xml::Element stanza) override { stanzas.push_back(std::move(stanza)); }
};

S2sConfig config_for(const std::string& domain, const std::string& cert_name,
                     const std::string& listen = "127.0.0.1:0") {
  S2sConfig c;
  c.domains.push_back({domain, pki().path(cert_name + ".crt"), pki().path(cert_name + ".key")});
  c.listen = {listen};
  c.extra_ca_file = pki().path("ca.crt");
  c.connect_timeout = 3s;
  c.reconnect_backoff_initial = 0ms;
  return c;
}

struct Node {
  Node(asio::io_context& io, S2sConfig config) : service(io, std::move(config), handler) {
    service.start();
  }
  uint16_t port() const { return service.local_endpoints().at(0).port(); }
  Recorder handler;
  S2sService service;
};

void link(Node& from, const std::string& to_domain, const Node& to, const std::string& host) {
  from.service.set_route(to_domain, S2sRoute{host, to.port(), false});
}

bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = 4s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(20ms);
  }
  return done();
}

void run_for(asio::io_context& io, std::chrono::milliseconds d) {
  run_until(
      io, [] { return false; }, d);
}

xml::Element message(const std::string& from, const std::string& to, const std::string& id) {
  xml::Element m("message", "jabber:server");
  m.set_attr("from", from).set_attr("to", to).set_attr("id", id);
  return m;
}

// --- tests -------------------------------------------------------------------

TEST(S2sService, ExternalBothWaysAndReplyOverOwnStream) {
  asio::io_context io;
  auto a_config = config_for("a.test", "a.test");
  a_config.bidi_outbound = false;  // else b's reply would come back over a's stream
  Node a(io, std::move(a_config));
  Node b(io, config_for("b.test", "b.test"));
  link(a, "b.test", b, "127.0.0.1");
  link(b, "a.test", a, "127.0.0.1");

  xml::Element iq("iq", "jabber:server");
  iq.set_attr("type", "set").set_attr("id", "push1").set_attr("from", "a.test");
  iq.set_attr("to", "b.test").add_child("ping", "urn:xmpp:ping");
  a.service.send(iq);
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  EXPECT_EQ(b.handler.stanzas[0].attr_or("id"), "push1");
  EXPECT_TRUE(b.handler.stanzas[0].child("ping", "urn:xmpp:ping"));
  EXPECT_EQ(a.service.outbound("a.test", "b.test")->auth_method(), "SASL EXTERNAL");

  xml::Element reply("iq", "jabber:server");
  reply.set_attr("type", "result").set_attr("id", "push1").set_attr("from", "b.test");
  reply.set_attr("to", "a.test");
  b.service.send(reply);
  ASSERT_TRUE(run_until(io, [&] { return a.handler.stanzas.size() == 1; }));
  EXPECT_EQ(a.handler.stanzas[0].attr_or("type"), "result");
  // The reply travelled over b's own outbound stream, authenticated the same way.
  ASSERT_NE(b.service.outbound("b.test", "a.test"), nullptr);
  EXPECT_TRUE(b.service.outbound("b.test", "a.test")->ready());
  EXPECT_EQ(b.service.outbound("b.test", "a.test")->auth_method(), "SASL EXTERNAL");
}

TEST(S2sService, ServerAuthOnlyCertificateIsAcceptedForExternal) {
  asio::io_context io;
  Node c(io, config_for("c.test", "c.test"));
  Node b(io, config_for("b.test", "b.test"));
  link(c, "b.test", b, "127.0.0.1");
  c.service.send(message("c.test", "b.test", "m1"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  EXPECT_EQ(c.service.outbound("c.test", "b.test")->auth_method(), "SASL EXTERNAL");
}

TEST(S2sService, UntrustedCertificateFallsBackToDialback) {
  asio::io_context io;
  Node a(io, config_for("a.test", "a.test-untrusted"));
  Node b(io, config_for("b.test", "b.test"));
  link(a, "b.test", b, "127.0.0.1");
  link(b, "a.test", a, "127.0.0.1");  // b's db:verify goes this way
  a.service.send(message("a.test", "b.test", "m1"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  EXPECT_EQ(a.service.outbound("a.test", "b.test")->auth_method(), "dialback");
  EXPECT_EQ(b.handler.stanzas[0].attr_or("id"), "m1");
}

TEST(S2sService, UntrustedCertificateRefusedWhenValidCertificatesRequired) {
  asio::io_context io;
  auto a_config = config_for("a.test", "a.test-untrusted");
  a_config.stanza_lifetime = 300ms;  // give up retrying soon
  Node a(io, std::move(a_config));
  auto b_config = config_for("b.test", "b.test");
  b_config.require_valid_certificates = true;
  Node b(io, std::move(b_config));
  link(a, "b.test", b, "127.0.0.1");
  link(b, "a.test", a, "127.0.0.1");
  a.service.send(message("a.test", "b.test", "m1"));
  const S2sOutbound* out = a.service.outbound("a.test", "b.test");
  ASSERT_TRUE(run_until(io, [&] { return !out->connecting() && out->queued() == 0; }));
  run_for(io, 200ms);
  EXPECT_TRUE(b.handler.stanzas.empty());
  EXPECT_FALSE(out->ready());
}

TEST(S2sService, QueuesWhileConnectingAndDeliversInOrder) {
  asio::io_context io;
  Node a(io, config_for("a.test", "a.test"));
  Node b(io, config_for("b.test", "b.test"));
  link(a, "b.test", b, "127.0.0.1");
  for (int i = 0; i < 5; ++i) a.service.send(message("a.test", "b.test", std::to_string(i)));
  EXPECT_EQ(a.service.outbound("a.test", "b.test")->queued(), 5u);
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 5; }));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(b.handler.stanzas[i].attr_or("id"), std::to_string(i));
  a.service.send(message("a.test", "b.test", "direct"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 6; }));
}

uint16_t unused_port(asio::io_context& io) {
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

TEST(S2sService, FailedConnectionKeepsQueueAndRetriesUntilThePeerIsUp) {
  asio::io_context io;
  uint16_t port = unused_port(io);
  Node a(io, config_for("a.test", "a.test"));
  a.service.set_route("b.test", S2sRoute{"127.0.0.1", port, false});
  a.service.send(message("a.test", "b.test", "r1"));
  a.service.send(message("a.test", "b.test", "r2"));
  const S2sOutbound* out = a.service.outbound("a.test", "b.test");
  EXPECT_EQ(out->queued(), 2u);
  run_for(io, 300ms);  // several refused attempts
  EXPECT_EQ(out->queued(), 2u) << "kept for a retry within their lifetime";

  Node b(io, config_for("b.test", "b.test"));  // the peer comes (back) up
  link(a, "b.test", b, "127.0.0.1");
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 2; }));
  run_for(io, 300ms);
  ASSERT_EQ(b.handler.stanzas.size(), 2u) << "each once";
  EXPECT_EQ(b.handler.stanzas[0].attr_or("id"), "r1");
}

TEST(S2sService, QueuedStanzasExpireAndNextSendRetries) {
  asio::io_context io;
  uint16_t dead_port = unused_port(io);
  auto config = config_for("a.test", "a.test");
  // Long enough for "after" to be delivered over a fresh TLS link inside its
  // own lifetime, even under ASan on a loaded machine.
  config.stanza_lifetime = 2s;
  Node a(io, std::move(config));
  a.service.set_route("b.test", S2sRoute{"127.0.0.1", dead_port, false});
  a.service.send(message("a.test", "b.test", "lost1"));
  a.service.send(message("a.test", "b.test", "lost2"));
  const S2sOutbound* out = a.service.outbound("a.test", "b.test");
  ASSERT_TRUE(run_until(io, [&] { return !out->connecting() && out->queued() == 0; }, 6s));

  Node b(io, config_for("b.test", "b.test"));
  link(a, "b.test", b, "127.0.0.1");
  a.service.send(message("a.test", "b.test", "after"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  run_for(io, 200ms);
  ASSERT_EQ(b.handler.stanzas.size(), 1u);
  EXPECT_EQ(b.handler.stanzas[0].attr_or("id"), "after");
}

TEST(S2sService, WorksOverIpv6) {
  asio::io_context io;
  {
    asio::error_code ec;
    asio::ip::tcp::acceptor probe(io);
    probe.open(asio::ip::tcp::v6(), ec);
    if (!ec) probe.bind({asio::ip::make_address("::1"), 0}, ec);
    if (ec) GTEST_SKIP() << "no IPv6 loopback here";
  }
  Node a(io, config_for("a.test", "a.test", "[::1]:0"));
  Node b(io, config_for("b.test", "b.test", "[::1]:0"));
  EXPECT_TRUE(b.service.local_endpoints().at(0).address().is_v6());
  link(a, "b.test", b, "::1");
  link(b, "a.test", a, "::1");
  a.service.send(message("a.test", "b.test", "v6"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  b.service.send(message("b.test", "a.test", "v6-back"));
  ASSERT_TRUE(run_until(io, [&] { return a.handler.stanzas.size() == 1; }));
}

TEST(S2sService, PortInUseIsAClearError) {
  asio::io_context io;
  Node a(io, config_for("a.test", "a.test"));
  auto config = config_for("b.test", "b.test", "127.0.0.1:" + std::to_string(a.port()));
  Recorder handler;
  S2sService b(io, std::move(config), handler);
  try {
    b.start();
    FAIL() << "start() should throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:"), std::string::npos);
  }
}

// --- a hand-driven peer, for what a well-behaved service never sends ---------

// Blocking client on its own thread and io_context; reads until `until`
// appears in what it received (or 3 s pass) and returns all of it.
class RawPeer {
 public:
  RawPeer(uint16_t port, const std::string& cert_name)
      : tls_(client_context(cert_name)), socket_(io_, tls_) {
    socket_.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    timeval tv{3, 0};
    setsockopt(socket_.lowest_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  static asio::ssl::context client_context(const std::string& cert_name) {
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.use_certificate_chain_file(pki().path(cert_name + ".crt"));
    tls.use_private_key_file(pki().path(cert_name + ".key"), asio::ssl::context::pem);
    return tls;
  }
  void write(const std::string& s) {
    if (tls_on_)
      asio::write(socket_, asio::buffer(s));
    else
      asio::write(socket_.next_layer(), asio::buffer(s));
  }
  std::string read_until(const std::string& until) {
    std::string got;
    char buf[4096];
    while (got.find(until) == std::string::npos) {
      asio::error_code ec;
      size_t n = tls_on_ ? socket_.read_some(asio::buffer(buf), ec)
                         : socket_.next_layer().read_some(asio::buffer(buf), ec);
      if (ec) break;
      got.append(buf, n);
    }
    return got;
  }
  void start_tls(const char* sni = "b.test") {
    SSL_set_tlsext_host_name(socket_.native_handle(), sni);
    socket_.handshake(asio::ssl::stream_base::client);
    tls_on_ = true;
  }
  void start_direct_tls() {
    static const unsigned char kAlpn[] = "\x0bxmpp-server";
    SSL_set_alpn_protos(socket_.native_handle(), kAlpn, sizeof kAlpn - 1);
    start_tls();
  }
  std::string alpn() {
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(socket_.native_handle(), &data, &len);
    return data ? std::string(reinterpret_cast<const char*>(data), len) : "";
  }
  // Subject CN and serial of the certificate the service presented.
  std::string server_certificate() {
    X509* cert = SSL_get0_peer_certificate(socket_.native_handle());
    if (!cert) return "none";
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
    char* hex = BN_bn2hex(serial);
    std::string out = std::string(cn) + "/" + hex;
    OPENSSL_free(hex);
    BN_free(serial);
    return out;
  }

 private:
  asio::io_context io_;
  asio::ssl::context tls_;
  asio::ssl::stream<asio::ip::tcp::socket> socket_;
  bool tls_on_ = false;
};

const std::string kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
    "version='1.0' from='a.test' to='b.test'>";

// Runs `peer_script` on a thread while the io_context serves `node`.
std::string run_peer(asio::io_context& io, const std::function<std::string()>& peer_script) {
  std::atomic<bool> done = false;
  std::string result;
  std::thread t([&] {
    try {
      result = peer_script();
    } catch (const std::exception& e) {
      result = std::string("exception: ") + e.what();
    }
    done = true;
  });
  run_until(
      io, [&] { return done.load(); }, 8s);
  t.join();
  return result;
}

TEST(S2sInbound, StanzaBeforeAuthenticationIsNotAuthorized) {
  asio::io_context io;
  auto config = config_for("b.test", "b.test");
  config.require_tls = false;  // so that the stanza is judged, not the missing TLS
  Node b(io, std::move(config));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    peer.write(kHeader);
    peer.read_until("</stream:features>");
    peer.write("<message from='a.test' to='b.test' id='early'/>");
    return peer.read_until("</stream:stream>");
  });
  EXPECT_NE(got.find("<not-authorized"), std::string::npos) << got;
  EXPECT_TRUE(b.handler.stanzas.empty());
}

TEST(S2sInbound, StartTlsRequiredFirst) {
  asio::io_context io;
  Node b(io, config_for("b.test", "b.test"));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    peer.write(kHeader);
    return peer.read_until("</stream:features>");
  });
  EXPECT_NE(got.find("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"),
            std::string::npos)
      << got;
  EXPECT_EQ(got.find("urn:xmpp:features:dialback"), std::string::npos) << got;
}

TEST(S2sInbound, SpoofedFromOnAuthenticatedStreamIsAStreamError) {
  asio::io_context io;
  Node b(io, config_for("b.test", "b.test"));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    peer.write(kHeader);
    peer.read_until("</stream:features>");
    peer.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    peer.read_until("<proceed");
    peer.start_tls();
    peer.write(kHeader);
    std::string features = peer.read_until("</stream:features>");
    if (features.find("EXTERNAL") == std::string::npos) return "no EXTERNAL: " + features;
    peer.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" +
               base64_encode("a.test") + "</auth>");
    std::string success = peer.read_until("<success");
    if (success.find("<success") == std::string::npos) return "no success: " + success;
    peer.write(kHeader);
    peer.read_until("</stream:features>");
    peer.write("<message from='a.test' to='b.test' id='fine'/>");
    peer.write("<message from='evil.test' to='b.test' id='spoofed'/>");
    return peer.read_until("</stream:stream>");
  });
  EXPECT_NE(got.find("<invalid-from"), std::string::npos) << got;
  ASSERT_EQ(b.handler.stanzas.size(), 1u);
  EXPECT_EQ(b.handler.stanzas[0].attr_or("id"), "fine");
}

TEST(S2sInbound, ExternalRefusedForAnotherDomainThenDialbackOnSameStream) {
  asio::io_context io;
  Node b(io, config_for("b.test", "b.test"));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    peer.write(kHeader);
    peer.read_until("</stream:features>");
    peer.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    peer.read_until("<proceed");
    peer.start_tls();
    peer.write(kHeader);
    peer.read_until("</stream:features>");
    peer.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" +
               base64_encode("c.test") + "</auth>");
    std::string failure = peer.read_until("</failure>");
    // Prosody's fallback: dialback on the same stream, with a certificate
    // valid for the domain (accepted without a verify round trip).
    peer.write("<db:result from='a.test' to='b.test'>somekey</db:result>");
    return failure + peer.read_until("type='valid'");
  });
  EXPECT_NE(got.find("<not-authorized/>"), std::string::npos) << got;
  EXPECT_NE(got.find("type='valid'"), std::string::npos) << got;
}

// --- admin controls ------------------------------------------------------------

// STARTTLS, then EXTERNAL as a.test; returns what the peer read after <success/>.
std::string authenticate_as_a(RawPeer& peer) {
  peer.write(kHeader);
  peer.read_until("</stream:features>");
  peer.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  peer.read_until("<proceed");
  peer.start_tls();
  peer.write(kHeader);
  std::string features = peer.read_until("</stream:features>");
  if (features.find("EXTERNAL") == std::string::npos) return "no EXTERNAL: " + features;
  peer.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" +
             base64_encode("a.test") + "</auth>");
  std::string success = peer.read_until("<success");
  if (success.find("<success") == std::string::npos) return "no success: " + success;
  peer.write(kHeader);
  return peer.read_until("</stream:features>");
}

TEST(S2sAdmin, DeniedDomainGetsPolicyViolationAtItsHeader) {
  asio::io_context io;
  auto config = config_for("b.test", "b.test");
  config.deny_domains = {"A.test"};
  Node b(io, std::move(config));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    peer.write(kHeader);
    return peer.read_until("</stream:stream>");
  });
  EXPECT_NE(got.find("<policy-violation"), std::string::npos) << got;
  EXPECT_NE(got.find("does not federate with your domain"), std::string::npos) << got;
}

TEST(S2sAdmin, DomainNotOnAllowListIsRefusedAtDialbackAndNotSentTo) {
  asio::io_context io;
  auto config = config_for("b.test", "b.test");
  config.allow_domains = {"c.test"};
  Node b(io, std::move(config));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    // A header without 'from' (allowed by XEP-0220): judged at db:result.
    std::string header = kHeader;
    header.replace(header.find("from='a.test' "), 14, "");
    peer.write(header);
    peer.read_until("</stream:features>");
    peer.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    peer.read_until("<proceed");
    peer.start_tls();
    peer.write(header);
    peer.read_until("</stream:features>");
    peer.write("<db:result from='a.test' to='b.test'>somekey</db:result>");
    return peer.read_until("</stream:stream>");
  });
  EXPECT_NE(got.find("<policy-violation"), std::string::npos) << got;
  EXPECT_EQ(got.find("type='valid'"), std::string::npos) << got;
  b.service.send(message("b.test", "a.test", "never"));
  EXPECT_EQ(b.service.outbound("b.test", "a.test"), nullptr) << "no stream to a refused domain";
}

TEST(S2sAdmin, ConnectionsPerIpAreLimited) {
  asio::io_context io;
  auto config = config_for("b.test", "b.test");
  config.max_connections_per_ip = 2;
  Node b(io, std::move(config));
  std::string got = run_peer(io, [&] {
    RawPeer one(b.port(), "a.test"), two(b.port(), "a.test");
    one.write(kHeader);
    two.write(kHeader);
    std::string first = one.read_until("</stream:features>") + two.read_until("</stream:features>");
    if (first.find("policy-violation") != std::string::npos) return "refused too early: " + first;
    RawPeer three(b.port(), "a.test");
    return three.read_until("</stream:stream>");
  });
  EXPECT_NE(got.find("<policy-violation"), std::string::npos) << got;
  EXPECT_NE(got.find("too many connections from your address"), std::string::npos) << got;
  // Once they are gone, the address may connect again.
  ASSERT_TRUE(run_until(
      io, [&] { return b.service.inbound_count() == 0; }, 5s));
  got = run_peer(io, [&] {
    RawPeer again(b.port(), "a.test");
    again.write(kHeader);
    return again.read_until("</stream:features>");
  });
  EXPECT_NE(got.find("<starttls"), std::string::npos) << got;
}

TEST(S2sAdmin, UnauthenticatedStreamTimesOut) {
  asio::io_context io;
  auto config = config_for("b.test", "b.test");
  config.auth_timeout = 300ms;
  Node b(io, std::move(config));
  auto started = std::chrono::steady_clock::now();
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    peer.write(kHeader);
    return peer.read_until("</stream:stream>");
  });
  EXPECT_NE(got.find("<connection-timeout"), std::string::npos) << got;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(S2sAdmin, AuthenticatedStreamOutlivesTheNegotiationTimeout) {
  asio::io_context io;
  auto config = config_for("b.test", "b.test");
  // Long enough for authentication itself under ASan on a loaded machine.
  config.auth_timeout = 1s;
  Node b(io, std::move(config));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    std::string features = authenticate_as_a(peer);
    std::this_thread::sleep_for(1500ms);
    peer.write("<message from='a.test' to='b.test' id='late'/>");
    peer.write(
        "<iq type='get' from='a.test' to='b.test' id='p'><ping xmlns='urn:xmpp:ping'/></iq>");
    return features;
  });
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 2; }, 10s)) << got;
}

TEST(S2sAdmin, RequestsOverTheDomainRateAreAnsweredWait) {
  asio::io_context io;
  Node a(io, config_for("a.test", "a.test"));
  auto config = config_for("b.test", "b.test");
  config.domain_request_rate = 0.001;
  config.domain_request_burst = 2;
  Node b(io, std::move(config));
  link(a, "b.test", b, "127.0.0.1");
  link(b, "a.test", a, "127.0.0.1");
  for (int i = 0; i < 4; ++i) {
    xml::Element iq("iq", "jabber:server");
    iq.set_attr("type", "set").set_attr("id", "pub" + std::to_string(i));
    iq.set_attr("from", "a.test").set_attr("to", "b.test");
    iq.add_child("ping", "urn:xmpp:ping");  // a get or set carries one payload
    a.service.send(iq);
  }
  a.service.send(message("a.test", "b.test", "not-a-request"));
  ASSERT_TRUE(run_until(io, [&] { return a.handler.stanzas.size() == 2; }));
  run_for(io, 200ms);
  ASSERT_EQ(b.handler.stanzas.size(), 3u) << "two requests within the burst, and the message";
  EXPECT_EQ(b.handler.stanzas[2].attr_or("id"), "not-a-request");
  ASSERT_EQ(a.handler.stanzas.size(), 2u);
  for (const auto& e : a.handler.stanzas) {
    EXPECT_EQ(e.attr_or("type"), "error");
    const xml::Element* error = e.child("error", "jabber:server");
    ASSERT_NE(error, nullptr) << xml::serialize(e);
    EXPECT_EQ(error->attr_or("type"), "wait")
        << "never cancel: ejabberd would drop the registration";
    EXPECT_NE(error->child("resource-constraint", "urn:ietf:params:xml:ns:xmpp-stanzas"), nullptr);
  }
  EXPECT_EQ(a.handler.stanzas[0].attr_or("id"), "pub2");
}

TEST(S2sAdmin, QueuedStanzasPerStreamAreBounded) {
  asio::io_context io;
  auto config = config_for("a.test", "a.test");
  config.max_queued_stanzas = 2;
  Node a(io, std::move(config));
  Node b(io, config_for("b.test", "b.test"));
  link(a, "b.test", b, "127.0.0.1");
  for (int i = 0; i < 5; ++i) a.service.send(message("a.test", "b.test", std::to_string(i)));
  EXPECT_EQ(a.service.outbound("a.test", "b.test")->queued(), 2u);
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 2; }));
  run_for(io, 200ms);
  ASSERT_EQ(b.handler.stanzas.size(), 2u);
  EXPECT_EQ(b.handler.stanzas[1].attr_or("id"), "1") << "the oldest are kept, in order";
}

// --- certificates ----------------------------------------------------------------

std::string starttls_and_get_certificate(uint16_t port, const char* sni, const char* to = nullptr) {
  RawPeer peer(port, "a.test");
  std::string header = kHeader;
  header.replace(header.find("to='b.test'"), 11, std::string("to='") + (to ? to : sni) + "'");
  peer.write(header);
  peer.read_until("</stream:features>");
  peer.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  peer.read_until("<proceed");
  peer.start_tls(sni);
  return peer.server_certificate();
}

TEST(S2sCertificates, SniPicksTheServedDomainsCertificate) {
  asio::io_context io;
  auto config = config_for("b.test", "b.test");
  config.domains.push_back({"c.test", pki().path("c.test.crt"), pki().path("c.test.key")});
  Node n(io, std::move(config));
  std::string b = run_peer(io, [&] { return starttls_and_get_certificate(n.port(), "b.test"); });
  std::string c = run_peer(io, [&] { return starttls_and_get_certificate(n.port(), "c.test"); });
  std::string other = run_peer(
      io, [&] { return starttls_and_get_certificate(n.port(), "unknown.test", "c.test"); });
  EXPECT_EQ(b.substr(0, 7), "b.test/") << b;
  EXPECT_EQ(c.substr(0, 7), "c.test/") << c;
  EXPECT_EQ(other.substr(0, 7), "b.test/")
      << "the first domain's when SNI names none we serve: " << other;
}

TEST(S2sCertificates, ReloadServesNewCertificateAndKeepsOpenStreams) {
  // Copies of b.test's files, replaced below like a certificate renewal would.
  fs::path dir = pki().dir / "reload";
  fs::create_directories(dir);
  fs::copy_file(pki().path("b.test.crt"), dir / "b.crt", fs::copy_options::overwrite_existing);
  fs::copy_file(pki().path("b.test.key"), dir / "b.key", fs::copy_options::overwrite_existing);
  asio::io_context io;
  Node a(io, config_for("a.test", "a.test"));
  auto config = config_for("b.test", "b.test");
  config.domains[0].cert_file = (dir / "b.crt").string();
  config.domains[0].key_file = (dir / "b.key").string();
  Node b(io, std::move(config));
  link(a, "b.test", b, "127.0.0.1");
  a.service.send(message("a.test", "b.test", "before"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  std::string old_cert =
      run_peer(io, [&] { return starttls_and_get_certificate(b.port(), "b.test"); });

  // A broken file: nothing changes.
  std::ofstream(dir / "b.crt") << "not a certificate";
  EXPECT_THROW(b.service.reload_certificates(), std::runtime_error);
  EXPECT_EQ(run_peer(io, [&] { return starttls_and_get_certificate(b.port(), "b.test"); }),
            old_cert);

  // A renewal: same name, new key and serial.
  ASSERT_TRUE(run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
                  (dir / "b.key").string() + " -out " + (dir / "b.csr").string() +
                  " -subj /CN=b.test && openssl x509 -req -in " + (dir / "b.csr").string() +
                  " -CA " + pki().path("ca.crt") + " -CAkey " + pki().path("ca.key") +
                  " -CAcreateserial -days 2 -extfile " + pki().path("b.test.ext") + " -out " +
                  (dir / "b.crt").string()));
  b.service.reload_certificates();
  std::string new_cert =
      run_peer(io, [&] { return starttls_and_get_certificate(b.port(), "b.test"); });
  EXPECT_EQ(new_cert.substr(0, 7), "b.test/") << new_cert;
  EXPECT_NE(new_cert, old_cert);

  // The stream opened before the reload still carries stanzas.
  const S2sOutbound* out = a.service.outbound("a.test", "b.test");
  ASSERT_TRUE(out->ready());
  a.service.send(message("a.test", "b.test", "after"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 2; }));
  EXPECT_TRUE(out->ready());
  EXPECT_TRUE(run_until(io, [&] { return b.service.inbound_count() == 1; }))
      << "only the stream from before the reload is left";
}

// --- direct TLS (XEP-0368) ---------------------------------------------------------

TEST(S2sDirectTls, ServiceToServiceWithAlpn) {
  asio::io_context io;
  Node a(io, config_for("a.test", "a.test"));
  auto config = config_for("b.test", "b.test");
  config.listen_direct_tls = {"127.0.0.1:0"};
  Node b(io, std::move(config));
  ASSERT_EQ(b.service.local_endpoints().size(), 2u);
  uint16_t direct_port = b.service.local_endpoints()[1].port();
  a.service.set_route("b.test", S2sRoute{"127.0.0.1", direct_port, true});
  a.service.send(message("a.test", "b.test", "direct"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  EXPECT_EQ(a.service.outbound("a.test", "b.test")->auth_method(), "SASL EXTERNAL");

  std::string got = run_peer(io, [&] {
    RawPeer peer(direct_port, "a.test");
    peer.start_direct_tls();
    std::string alpn = peer.alpn();
    peer.write(kHeader);
    return "alpn=" + alpn + " " + peer.read_until("</stream:features>");
  });
  EXPECT_EQ(got.rfind("alpn=xmpp-server ", 0), 0u) << got;
  EXPECT_EQ(got.find("<starttls"), std::string::npos) << "TLS is already on: " << got;
  EXPECT_NE(got.find("EXTERNAL"), std::string::npos) << got;
}

// --- bidirectional streams (XEP-0288) ------------------------------------------------

TEST(S2sBidi, RepliesGoBackOverThePeersStream) {
  asio::io_context io;
  Node b(io, config_for("b.test", "b.test"));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    peer.write(kHeader);
    peer.read_until("</stream:features>");
    peer.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    peer.read_until("<proceed");
    peer.start_tls();
    peer.write(kHeader);
    std::string features = peer.read_until("</stream:features>");
    if (features.find("<bidi xmlns='urn:xmpp:features:bidi'/>") == std::string::npos)
      return "no bidi feature: " + features;
    peer.write("<bidi xmlns='urn:xmpp:bidi'/>");
    peer.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" +
               base64_encode("a.test") + "</auth>");
    peer.read_until("<success");
    peer.write(kHeader);
    peer.read_until("</stream:features>");
    asio::post(io, [&] { b.service.send(message("b.test", "a.test", "bidi-back")); });
    return peer.read_until("id='bidi-back'");
  });
  EXPECT_NE(got.find("id='bidi-back'"), std::string::npos) << got;
  EXPECT_EQ(b.service.outbound("b.test", "a.test"), nullptr) << "no stream of its own was needed";
}

TEST(S2sBidi, NotOfferedWhenOff) {
  asio::io_context io;
  auto config = config_for("b.test", "b.test");
  config.bidi = false;
  Node b(io, std::move(config));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    peer.write(kHeader);
    peer.read_until("</stream:features>");
    peer.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    peer.read_until("<proceed");
    peer.start_tls();
    peer.write(kHeader);
    return peer.read_until("</stream:features>");
  });
  EXPECT_NE(got.find("EXTERNAL"), std::string::npos) << got;
  EXPECT_EQ(got.find("urn:xmpp:features:bidi"), std::string::npos) << got;
}

TEST(S2sBidi, OurOwnStreamCarriesThePeersStanzasBack) {
  asio::io_context io;
  Node a(io, config_for("a.test", "a.test"));
  Node b(io, config_for("b.test", "b.test"));
  link(a, "b.test", b, "127.0.0.1");
  a.service.send(message("a.test", "b.test", "there"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  ASSERT_TRUE(run_until(io, [&] { return b.service.has_bidi("b.test", "a.test"); }));
  b.service.send(message("b.test", "a.test", "back"));
  ASSERT_TRUE(run_until(io, [&] { return a.handler.stanzas.size() == 1; }));
  EXPECT_EQ(a.handler.stanzas[0].attr_or("id"), "back");
  EXPECT_EQ(b.service.outbound("b.test", "a.test"), nullptr) << "b needed no stream of its own";
  EXPECT_EQ(a.service.inbound_count(), 0u) << "one connection for both directions";
}

TEST(S2sBidi, NotRequestedWhenOutboundBidiIsOff) {
  asio::io_context io;
  auto config = config_for("a.test", "a.test");
  config.bidi_outbound = false;
  Node a(io, std::move(config));
  Node b(io, config_for("b.test", "b.test"));
  link(a, "b.test", b, "127.0.0.1");
  link(b, "a.test", a, "127.0.0.1");
  a.service.send(message("a.test", "b.test", "there"));
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  b.service.send(message("b.test", "a.test", "back"));
  ASSERT_TRUE(run_until(io, [&] { return a.handler.stanzas.size() == 1; }));
  EXPECT_FALSE(b.service.has_bidi("b.test", "a.test"));
  EXPECT_NE(b.service.outbound("b.test", "a.test"), nullptr) << "b had to open its own stream";
}

}  // namespace
// --- RFC 6120 stanza rules and XEP-0198 on inbound streams ------------------

const std::string kHeaderWithoutVersion =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
    "from='a.test' to='b.test'>";

// TLS, then (bidi and) SASL EXTERNAL as a.test, then the restarted stream's
// features; "" on success, else what went wrong.
std::string authenticate_as_a(RawPeer& peer, bool bidi) {
  peer.write(kHeader);
  peer.read_until("</stream:features>");
  peer.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  peer.read_until("<proceed");
  peer.start_tls();
  peer.write(kHeader);
  std::string features = peer.read_until("</stream:features>");
  if (features.find("EXTERNAL") == std::string::npos) return "no EXTERNAL: " + features;
  if (bidi) peer.write("<bidi xmlns='urn:xmpp:bidi'/>");
  peer.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>" +
             base64_encode("a.test") + "</auth>");
  std::string success = peer.read_until("<success");
  if (success.find("<success") == std::string::npos) return "no success: " + success;
  peer.write(kHeader);
  peer.read_until("</stream:features>");
  return "";
}

TEST(S2sRules, IqWithoutIdEndsTheStreamAndIsNotDelivered) {
  asio::io_context io;
  Node b(io, config_for("b.test", "b.test"));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    if (auto why = authenticate_as_a(peer, true); !why.empty()) return why;
    peer.write("<iq type='get' from='a.test' to='b.test'><ping xmlns='urn:xmpp:ping'/></iq>");
    return peer.read_until("</stream:stream>");
  });
  EXPECT_NE(got.find("<invalid-xml"), std::string::npos) << got;
  EXPECT_EQ(got.find("<iq"), std::string::npos) << "never a reply without an id: " << got;
  EXPECT_TRUE(b.handler.stanzas.empty());
}

TEST(S2sRules, IqGetWithTwoPayloadsOrNoneIsBadRequest) {
  asio::io_context io;
  Node b(io, config_for("b.test", "b.test"));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    if (auto why = authenticate_as_a(peer, true); !why.empty()) return why;
    peer.write("<iq type='get' from='a.test' to='b.test' id='two'><ping xmlns='urn:xmpp:ping'/>"
               "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    peer.write("<iq type='set' from='a.test' to='b.test' id='none'/>");
    peer.write("<message from='a.test' to='b.test' id='after'/>");
    std::string replies = peer.read_until("id='none'");
    while (replies.find("</iq>", replies.find("id='none'")) == std::string::npos)
      replies += peer.read_until("</iq>");
    return replies;
  });
  for (const char* id : {"id='two'", "id='none'"}) {
    auto at = got.find(id);
    ASSERT_NE(at, std::string::npos) << got;
    auto end = got.find("</iq>", at);
    std::string reply = got.substr(at, end - at);
    EXPECT_NE(reply.find("type='modify'"), std::string::npos) << reply;
    EXPECT_NE(reply.find("<bad-request"), std::string::npos) << reply;
  }
  ASSERT_TRUE(run_until(io, [&] { return b.handler.stanzas.size() == 1; }));
  EXPECT_EQ(b.handler.stanzas[0].attr_or("id"), "after") << "the stream goes on";
}

// The stream header in what a peer received: "<stream:stream ...>".
std::string stream_tag(const std::string& got) {
  auto start = got.find("<stream:stream");
  if (start == std::string::npos) return "";
  return got.substr(start, got.find('>', start) + 1 - start);
}

TEST(S2sRules, StreamWithoutVersionGetsNoVersionAndNoFeatures) {
  asio::io_context io;
  Node b(io, config_for("b.test", "b.test"));  // require_tls: pre-1.0 cannot do TLS
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    peer.write(kHeaderWithoutVersion);
    return peer.read_until("</stream:stream>");
  });
  ASSERT_NE(stream_tag(got), "") << got;
  EXPECT_EQ(stream_tag(got).find("version"), std::string::npos)
      << "RFC 6120 4.7.5: no version in the answer: " << got;
  EXPECT_NE(got.find("<unsupported-version"), std::string::npos) << got;
  EXPECT_EQ(got.find("<stream:features"), std::string::npos) << got;

  // Without require_tls a pre-1.0 peer may go on with dialback, in the clear.
  asio::io_context io2;
  auto config = config_for("b.test", "b.test");
  config.require_tls = false;
  Node plain(io2, std::move(config));
  std::string got2 = run_peer(io2, [&] {
    RawPeer peer(plain.port(), "a.test");
    peer.write(kHeaderWithoutVersion);
    std::string got = peer.read_until("<stream:stream");
    while (got.find('>', got.find("<stream:stream")) == std::string::npos)
      got += peer.read_until(">");
    return got;
  });
  ASSERT_NE(stream_tag(got2), "") << got2;
  EXPECT_EQ(stream_tag(got2).find("version"), std::string::npos) << got2;
  EXPECT_EQ(got2.find("<stream:features"), std::string::npos) << got2;
  EXPECT_EQ(got2.find("<stream:error"), std::string::npos) << got2;
}

TEST(S2sRules, MalformedVersionIsUnsupported) {
  asio::io_context io;
  Node b(io, config_for("b.test", "b.test"));
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    std::string header = kHeader;
    header.replace(header.find("version='1.0' from"), 13, "version='one'");
    peer.write(header);
    return peer.read_until("</stream:stream>");
  });
  EXPECT_NE(got.find("<unsupported-version"), std::string::npos) << got;
}

TEST(S2sStreamManagement, UnackedStanzasOverAPeersStreamGoOutAgainOnce) {
  asio::io_context io;
  Node a(io, config_for("a.test", "a.test"));  // receives what b sends again
  Node b(io, config_for("b.test", "b.test"));
  link(b, "a.test", a, "127.0.0.1");
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    if (auto why = authenticate_as_a(peer, true); !why.empty()) return why;
    peer.write("<enable xmlns='urn:xmpp:sm:3'/>");
    std::string enabled = peer.read_until("<enabled");
    if (enabled.find("<enabled") == std::string::npos) return "not enabled: " + enabled;
    asio::post(io, [&] {
      b.service.send(message("b.test", "a.test", "m1"));
      b.service.send(message("b.test", "a.test", "m2"));
    });
    std::string seen = peer.read_until("<r xmlns='urn:xmpp:sm:3'/>");
    // The first is acknowledged, the second never: then the link dies.
    peer.write("<a xmlns='urn:xmpp:sm:3' h='1'/>");
    return seen;
  });
  EXPECT_NE(got.find("id='m1'"), std::string::npos) << got;
  EXPECT_NE(got.find("id='m2'"), std::string::npos) << got;
  ASSERT_TRUE(run_until(io, [&] { return a.handler.stanzas.size() == 1; }))
      << "the unacknowledged stanza on a new stream";
  run_for(io, 300ms);
  ASSERT_EQ(a.handler.stanzas.size(), 1u) << "once, and the acknowledged one never again";
  EXPECT_EQ(a.handler.stanzas[0].attr_or("id"), "m2");
}

TEST(S2sStreamManagement, UnackedStanzasPastTheirLifetimeAreDropped) {
  asio::io_context io;
  Node a(io, config_for("a.test", "a.test"));
  auto config = config_for("b.test", "b.test");
  config.stanza_lifetime = 200ms;
  Node b(io, std::move(config));
  link(b, "a.test", a, "127.0.0.1");
  std::string got = run_peer(io, [&] {
    RawPeer peer(b.port(), "a.test");
    if (auto why = authenticate_as_a(peer, true); !why.empty()) return why;
    peer.write("<enable xmlns='urn:xmpp:sm:3'/>");
    peer.read_until("<enabled");
    asio::post(io, [&] { b.service.send(message("b.test", "a.test", "late")); });
    std::string seen = peer.read_until("<r xmlns='urn:xmpp:sm:3'/>");
    std::this_thread::sleep_for(400ms);  // lost only after its lifetime
    return seen;
  });
  EXPECT_NE(got.find("id='late'"), std::string::npos) << got;
  run_for(io, 500ms);
  EXPECT_TRUE(a.handler.stanzas.empty());
}

}  // namespace herald::xmpp
