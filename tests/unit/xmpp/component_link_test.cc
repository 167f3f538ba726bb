// ComponentLink against a hand-driven XMPP server on a thread: handshake,
// namespaces in both directions, queueing while down, reconnection.
#include "xmpp/component_link.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <atomic>
#include <thread>

#include "base/encoding.h"

namespace herald::xmpp {
namespace {

using namespace std::chrono_literals;

struct Recorder : StanzaHandler {
  std::vector<xml::Element> stanzas;
  void handle(xml::Element stanza) override { stanzas.push_back(std::move(stanza)); }
};

std::string read_until(asio::ip::tcp::socket& s, const std::string& until) {
  std::string got;
  char buf[4096];
  while (got.find(until) == std::string::npos) {
    asio::error_code ec;
    size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  return got;
}

std::string sha1_hex(const std::string& s) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  return hex_encode(std::string(reinterpret_cast<const char*>(d), sizeof d));
}

TEST(ComponentLink, HandshakeStanzasBothWaysAndReconnect) {
  asio::io_context server_io;
  asio::ip::tcp::acceptor acceptor(server_io, {asio::ip::make_address("127.0.0.1"), 0});
  uint16_t port = acceptor.local_endpoint().port();

  asio::io_context io;
  Recorder handler;
  ComponentConfig config;
  config.domain = "push.test";
  config.host = "127.0.0.1";
  config.port = port;
  config.secret = "s3cret";
  config.backoff_initial = 50ms;
  auto link = std::make_shared<ComponentLink>(io, config, handler);
  xml::Element early("iq", "jabber:server");
  early.set_attr("type", "result").set_attr("id", "queued").set_attr("from", "push.test");
  early.set_attr("to", "user.test");
  link->start();
  link->send(early);  // before the handshake: queued
  EXPECT_EQ(link->queued(), 1u);

  std::atomic<bool> done = false;
  std::string first, second;
  std::thread server([&] {
    {
      asio::ip::tcp::socket s(server_io);
      acceptor.accept(s);
      first = read_until(s, ">");  // the stream header
      asio::write(
          s, asio::buffer(std::string(
                 "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
                 "xmlns:stream='http://etherx.jabber.org/streams' from='push.test' id='abc'>")));
      first += read_until(s, "</handshake>");
      asio::write(s, asio::buffer(std::string("<handshake/>")));
      first += read_until(s, "id='queued'");
      asio::write(s,
                  asio::buffer(std::string("<iq type='get' from='user.test' to='push.test' id='p1'>"
                                           "<ping xmlns='urn:xmpp:ping'/></iq>")));
      first += read_until(s, "id='answer'");
    }  // closed: the link must come back
    asio::ip::tcp::socket s(server_io);
    acceptor.accept(s);
    second = read_until(s, ">");
    done = true;
  });
  auto deadline = std::chrono::steady_clock::now() + 8s;
  bool answered = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(20ms);
    if (!answered && handler.stanzas.size() == 1) {
      answered = true;
      xml::Element answer("iq", "jabber:server");
      answer.set_attr("type", "result").set_attr("id", "answer").set_attr("from", "push.test");
      answer.set_attr("to", "user.test");
      link->send(answer);
    }
  }
  link->stop();
  io.run_for(100ms);
  server.join();

  EXPECT_NE(first.find("xmlns='jabber:component:accept'"), std::string::npos) << first;
  EXPECT_NE(first.find("to='push.test'"), std::string::npos) << first;
  EXPECT_NE(first.find("<handshake>" + sha1_hex("abcs3cret") + "</handshake>"), std::string::npos)
      << first;
  EXPECT_NE(first.find("id='queued'"), std::string::npos) << "sent once the handshake succeeded";
  EXPECT_EQ(first.find("xmlns='jabber:server'"), std::string::npos)
      << "stanzas are in the stream's namespace: " << first;
  ASSERT_EQ(handler.stanzas.size(), 1u);
  EXPECT_TRUE(handler.stanzas[0].is("iq", "jabber:server")) << handler.stanzas[0].ns();
  EXPECT_TRUE(handler.stanzas[0].child("ping", "urn:xmpp:ping"));
  EXPECT_NE(second.find("jabber:component:accept"), std::string::npos) << "reconnected: " << second;
  EXPECT_EQ(link->connections(), 1u);
}

}  // namespace
}  // namespace herald::xmpp
