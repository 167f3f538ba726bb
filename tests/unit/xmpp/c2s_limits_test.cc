// The limits of client streams (C2sConfig): stanza size, bytes and time
// before authentication, idle time, the stanza rate (back-pressure), a
// client that does not read, connections per address, blocked addresses.
#include <gtest/gtest.h>

#include "c2s_test_client.h"
#include "c2s_test_server.h"

namespace herald::xmpp {
namespace {

using namespace test;

template <typename F>
bool eventually(F done, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  return done();
}

TEST(C2sLimits, OversizedStanzaEndsTheStream) {
  auto config = test_config();
  config.limits.max_stanza_bytes = 4096;
  TestServer server(config);
  TestClient c(server.starttls_port());
  ASSERT_FALSE(log_in(c).empty());
  c.send("<message to='bob@example.net'><body>" + std::string(3000, 'a') + "</body></message>");
  c.send("<message to='bob@example.net'><body>" + std::string(5000, 'a') + "</body></message>");
  EXPECT_EQ(condition_of(c.next()), "policy-violation");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(server.host->received().size(), 1u);
}

TEST(C2sLimits, JunkBeforeAuthentication) {
  auto config = test_config();
  config.max_unauthenticated_bytes = 8192;
  TestServer server(config);
  {
    TestClient c(server.starttls_port());
    ASSERT_TRUE(c.open());
    c.send("<message to='bob@example.org'><body>spam</body></message>");
    EXPECT_EQ(condition_of(c.next()), "not-authorized");
  }
  {
    TestClient c(server.starttls_port());
    ASSERT_TRUE(c.open() && c.starttls() && c.open());
    c.send("<presence/>");
    EXPECT_EQ(condition_of(c.next()), "not-authorized");
  }
  {
    TestClient c(server.starttls_port());
    ASSERT_TRUE(c.open());
    c.send("<hello xmlns='urn:example:junk'/>");
    EXPECT_EQ(condition_of(c.next()), "unsupported-stanza-type");
  }
  {
    // Whitespace is allowed between elements, but not without end.
    TestClient c(server.starttls_port());
    ASSERT_TRUE(c.open() && c.starttls() && c.open());
    for (int i = 0; i < 10; ++i) c.send(std::string(1000, ' '));
    EXPECT_EQ(condition_of(c.next()), "policy-violation");
    EXPECT_TRUE(c.wait_closed());
  }
  {
    TestClient c(server.starttls_port());
    c.send("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n");
    auto answer = c.next();
    EXPECT_TRUE(!answer || answer->name() == "stream" || answer->name() == "error");
    EXPECT_TRUE(c.wait_closed());
  }
  EXPECT_TRUE(server.host->logins().empty());
}

TEST(C2sLimits, NegotiationMustEndInTime) {
  auto config = test_config();
  config.auth_timeout = 300ms;
  TestServer server(config);
  TestClient c(server.starttls_port());
  ASSERT_TRUE(c.open() && c.starttls() && c.open());
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(condition_of(c.next(3s)), "connection-timeout");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_TRUE(c.wait_closed());
  // A session that logged in and bound in time is not touched by it.
  TestClient in_time(server.starttls_port());
  ASSERT_FALSE(log_in(in_time).empty());
  EXPECT_FALSE(in_time.next(500ms));
  EXPECT_FALSE(in_time.closed());
}

TEST(C2sLimits, IdleSessionsAreClosed) {
  auto config = test_config();
  config.idle_timeout = 400ms;
  TestServer server(config);
  TestClient c(server.starttls_port());
  ASSERT_FALSE(log_in(c).empty());
  // Traffic (here pings) keeps it open past the timeout...
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(200ms);
    c.send("<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>");
    ASSERT_TRUE(c.next()) << i;
  }
  // ...silence does not.
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_TRUE(c.stream_closed());
  EXPECT_TRUE(eventually([&] { return server.host->unbinds() == 1; }));
}

TEST(C2sLimits, StanzasBeyondTheRateWaitInsteadOfFailing) {
  auto config = test_config();
  config.stanza_rate = 20;
  config.stanza_burst = 5;
  TestServer server(config);
  TestClient c(server.starttls_port());
  ASSERT_FALSE(log_in(c).empty());
  std::string burst;
  for (int i = 0; i < 25; ++i)
    burst += "<message to='bob@example.net' id='m" + std::to_string(i) + "'/>";
  auto start = std::chrono::steady_clock::now();
  c.send(burst);
  ASSERT_TRUE(eventually([&] { return server.host->received().size() == 25; }, 5s));
  auto took = std::chrono::steady_clock::now() - start;
  // 5 at once, then 20 at 20 per second.
  EXPECT_GE(took, 900ms);
  EXPECT_LE(took, 3s);
  auto got = server.host->received();
  for (int i = 0; i < 25; ++i) EXPECT_EQ(got[i].attr_or("id"), "m" + std::to_string(i));
  EXPECT_FALSE(c.closed());
  // Pings wait their turn too, but are answered.
  c.send("<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_TRUE(c.next());
}

TEST(C2sLimits, AClientThatDoesNotReadIsCutOff) {
  auto config = test_config();
  config.max_pending_stanzas = 50;
  TestServer server(config);
  xml::Element big("message", "jabber:server");
  big.set_attr("from", "bob@example.net/x").set_attr("to", "alice@example.org/phone");
  big.add_child("body", "jabber:server").set_text(std::string(8000, 'z'));
  auto flood = [&](int n) {
    // One delivery per pass of the loop, as stanzas come from other loops:
    // each is handed to the socket before the next arrives.
    for (int i = 0; i < n; ++i)
      server.on_loop([&] { server.host->deliver_to("alice@example.org/phone", big); });
  };
  {
    // A client that reads gets everything.
    TestClient reader(server.starttls_port());
    ASSERT_FALSE(log_in(reader).empty());
    std::thread t([&] { flood(500); });
    int got = 0;
    while (got < 500 && reader.next(2s)) ++got;
    t.join();
    EXPECT_EQ(got, 500);
  }
  ASSERT_TRUE(eventually([&] { return server.host->bound_sessions() == 0; }));
  TestClient sleeper(server.starttls_port());
  ASSERT_FALSE(log_in(sleeper).empty());
  flood(3000);  // 24 MB: more than the socket buffers hold
  int got = 0;
  std::optional<xml::Element> last;
  while ((last = sleeper.next(2s)) && last->name() == "message") ++got;
  EXPECT_LT(got, 3000);
  EXPECT_EQ(condition_of(last), "resource-constraint");
}

TEST(C2sLimits, ConnectionsPerAddress) {
  auto config = test_config();
  config.max_connections_per_ip = 2;
  TestServer server(config);
  auto open_count = [&] {
    size_t n = 0;
    server.on_loop([&] { n = server.listener->open_connections(); });
    return n;
  };
  auto a = std::make_unique<TestClient>(server.starttls_port());
  TestClient b(server.starttls_port());
  ASSERT_TRUE(a->open() && b.open());
  TestClient c(server.starttls_port());
  auto header = c.next();
  ASSERT_TRUE(header);
  EXPECT_EQ(condition_of(c.next()), "policy-violation");
  EXPECT_TRUE(c.wait_closed());
  ASSERT_TRUE(eventually([&] { return open_count() == 2; }));
  // One leaves: room for another.
  a.reset();
  ASSERT_TRUE(eventually([&] { return open_count() == 1; }));
  TestClient d(server.starttls_port());
  auto features = d.open();
  ASSERT_TRUE(features);
  EXPECT_EQ(features->name(), "features");
}

TEST(C2sLimits, BlockedAddressesAreRefused) {
  TestServer server;
  server.on_loop([&] { server.host->admit = false; });
  TestClient c(server.starttls_port());
  ASSERT_TRUE(c.next());  // our header
  EXPECT_EQ(condition_of(c.next()), "policy-violation");
  EXPECT_TRUE(c.wait_closed());
  TestClient direct(server.direct_tls_port());
  EXPECT_FALSE(direct.handshake());
}

}  // namespace
}  // namespace herald::xmpp
