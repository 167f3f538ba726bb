// Client streams after authentication: resource binding as the host answers
// it, 'from' stamping and spoofing (RFC 6120 8.1.2.1), the IQ rules of
// 8.2.3, what the session answers itself (ping, legacy session) and
// delivery to the client.
#include <gtest/gtest.h>

#include "c2s_test_client.h"
#include "c2s_test_server.h"

namespace herald::xmpp {
namespace {

using namespace test;

constexpr std::string_view kBindNs = "urn:ietf:params:xml:ns:xmpp-bind";

// Waits until the host has received `n` stanzas (they arrive on its loop).
std::vector<xml::Element> received(TestServer& server, size_t n) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.host->received().size() < n && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  return server.host->received();
}

TEST(C2sStanzas, FromIsStampedWithTheFullJid) {
  TestServer server;
  TestClient c(server.starttls_port());
  ASSERT_EQ(log_in(c), "alice@example.org/phone");
  c.send("<message to='bob@example.net' id='m1'><body>hi</body></message>");
  c.send("<message from='alice@example.org' to='bob@example.net' id='m2'/>");
  c.send("<presence from='alice@example.org/phone'/>");
  auto got = received(server, 3);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& s : got) EXPECT_EQ(s.attr_or("from"), "alice@example.org/phone");
  EXPECT_EQ(got[0].attr_or("to"), "bob@example.net");
  EXPECT_EQ(got[0].ns(), "jabber:client");
  EXPECT_EQ(got[0].child("body", "jabber:client")->text(), "hi");
}

TEST(C2sStanzas, SpoofedFromEndsTheStream) {
  TestServer server;
  for (std::string from : {"bob@example.org", "alice@example.org/laptop", "not a jid@@"}) {
    TestClient c(server.starttls_port());
    ASSERT_EQ(log_in(c), "alice@example.org/phone");
    c.send("<message from='" + from + "' to='carol@example.net'><body>x</body></message>");
    auto error = c.next();
    EXPECT_EQ(condition_of(error), "invalid-from") << from;
    EXPECT_TRUE(c.wait_closed());
  }
  EXPECT_TRUE(server.host->received().empty());
}

TEST(C2sStanzas, ToIsNormalisedAndAMalformedOneAnswered) {
  TestServer server;
  TestClient c(server.starttls_port());
  ASSERT_FALSE(log_in(c).empty());
  c.send("<message to='Bob@EXAMPLE.net/Home' id='m1'/>");
  c.send("<message to='bob@@example.net' id='m2'/>");
  auto error = c.next();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->name(), "message");
  EXPECT_EQ(error->attr_or("type"), "error");
  EXPECT_EQ(error->attr_or("id"), "m2");
  EXPECT_FALSE(error->attr("from")) << "the reply comes from the server";
  EXPECT_EQ(condition_of(error), "jid-malformed");
  auto got = received(server, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attr_or("to"), "bob@example.net/Home");
}

TEST(C2sStanzas, IqRules) {
  TestServer server;
  TestClient c(server.starttls_port());
  ASSERT_FALSE(log_in(c).empty());
  auto ask = [&](const std::string& iq) {
    c.send(iq);
    return c.next();
  };
  auto no_id = ask("<iq type='get' to='example.org'><query xmlns='jabber:iq:version'/></iq>");
  EXPECT_EQ(condition_of(no_id), "bad-request");
  auto none = ask("<iq type='get' id='q1' to='bob@example.net'/>");
  EXPECT_EQ(condition_of(none), "bad-request");
  EXPECT_EQ(none->attr_or("id"), "q1");
  auto two = ask("<iq type='set' id='q2'><a xmlns='x'/><b xmlns='y'/></iq>");
  EXPECT_EQ(condition_of(two), "bad-request");
  auto bad_type = ask("<iq type='fetch' id='q3'><a xmlns='x'/></iq>");
  EXPECT_EQ(condition_of(bad_type), "bad-request");
  // Never an error in answer to an error or a result: they are dropped.
  c.send("<iq type='error' id='q4'/>");
  c.send("<iq type='result' id='q5'><a xmlns='x'/><b xmlns='y'/></iq>");
  // A good one goes through, and nothing was answered in between.
  c.send("<iq type='get' id='q6' to='bob@example.net'><query xmlns='jabber:iq:version'/></iq>");
  auto got = received(server, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attr_or("id"), "q6");
  EXPECT_FALSE(c.next(200ms));
}

TEST(C2sStanzas, PingAndLegacySessionAreAnsweredByTheSession) {
  TestServer server;
  TestClient c(server.starttls_port());
  ASSERT_FALSE(log_in(c).empty());
  c.send("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
  auto session = c.next();
  ASSERT_TRUE(session);
  EXPECT_EQ(session->attr_or("type"), "result");
  EXPECT_EQ(session->attr_or("id"), "s1");
  for (std::string to : {"", " to='example.org'"}) {
    c.send("<iq type='get' id='p1'" + to + "><ping xmlns='urn:xmpp:ping'/></iq>");
    auto pong = c.next();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->attr_or("type"), "result");
    EXPECT_EQ(pong->attr_or("id"), "p1");
    EXPECT_EQ(pong->attr_or("to"), "alice@example.org/phone");
  }
  // A ping to someone else is theirs to answer.
  c.send("<iq type='get' id='p2' to='bob@example.net'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_EQ(received(server, 1).size(), 1u);
}

TEST(C2sStanzas, StanzasBeforeBindingAreNotAuthorized) {
  TestServer server;
  TestClient c(server.starttls_port());
  ASSERT_TRUE(c.open() && c.starttls() && c.open());
  sasl::ScramClient scram(sasl::Hash::sha256, "alice", "correct horse");
  ASSERT_EQ(c.scram("SCRAM-SHA-256", scram)->name(), "success");
  ASSERT_TRUE(c.open());
  c.send("<message to='bob@example.net'><body>early</body></message>");
  EXPECT_EQ(condition_of(c.next()), "not-authorized");
  EXPECT_TRUE(server.host->received().empty());
}

TEST(C2sStanzas, StanzasSentWithTheBindWaitForIt) {
  // The host answers the bind later (on a later pass of its loop): what the
  // client pipelined behind it waits, and is handled once bound, in order.
  TestServer server;
  TestClient c(server.starttls_port());
  ASSERT_TRUE(c.open() && c.starttls() && c.open());
  sasl::ScramClient scram(sasl::Hash::sha256, "alice", "correct horse");
  ASSERT_EQ(c.scram("SCRAM-SHA-256", scram)->name(), "success");
  ASSERT_TRUE(c.open());
  std::string pipelined =
      "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
      "<resource>phone</resource></bind></iq>";
  for (int i = 0; i < 3; ++i)
    pipelined += "<message to='bob@example.net' id='m" + std::to_string(i) + "'/>";
  pipelined += "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>";
  c.send(pipelined);
  auto bound = c.next();
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->attr_or("id"), "b1");
  EXPECT_EQ(bound->attr_or("type"), "result");
  auto pong = c.next();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->attr_or("id"), "p");
  auto got = received(server, 3);
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].attr_or("id"), "m" + std::to_string(i));
    EXPECT_EQ(got[i].attr_or("from"), "alice@example.org/phone");
  }
}

TEST(C2sStanzas, BindingAsTheHostAnswers) {
  TestServer server;
  TestClient first(server.starttls_port());
  ASSERT_EQ(log_in(first, "phone"), "alice@example.org/phone");
  // Taken, and the host refuses: conflict.
  TestClient second(server.starttls_port());
  std::string why;
  EXPECT_EQ(log_in(second, "phone", "example.org", &why), "");
  EXPECT_EQ(why, "bind");
  auto again = second.bind("phone", "b2");
  EXPECT_EQ(condition_of(again), "conflict");
  EXPECT_EQ(again->attr_or("id"), "b2");
  // Another resource is fine; none at all lets the host choose.
  auto other = second.bind("laptop", "b3");
  ASSERT_TRUE(other && other->child("bind", kBindNs));
  EXPECT_EQ(other->child("bind", kBindNs)->child("jid", kBindNs)->text(),
            "alice@example.org/laptop");
  auto twice = second.bind("tablet", "b4");
  EXPECT_EQ(condition_of(twice), "not-allowed");
  TestClient third(server.starttls_port());
  auto chosen = log_in(third, "");
  EXPECT_TRUE(chosen.starts_with("alice@example.org/")) << chosen;
  EXPECT_GT(chosen.size(), std::string("alice@example.org/").size());
  // A resource Resourceprep refuses is a bad request.
  TestClient fourth(server.starttls_port());
  EXPECT_EQ(log_in(fourth, std::string(1100, 'r')), "");
  EXPECT_EQ(condition_of(fourth.bind(std::string(1100, 'r'), "b5")), "bad-request");
  EXPECT_EQ(server.host->bound_sessions(), 3u);
}

TEST(C2sStanzas, AHostThatReplacesTheOlderSessionClosesItWithConflict) {
  TestServer server;
  server.on_loop([&] { server.host->on_conflict = FakeC2sHost::OnConflict::replace; });
  TestClient first(server.starttls_port());
  ASSERT_EQ(log_in(first, "phone"), "alice@example.org/phone");
  TestClient second(server.starttls_port());
  ASSERT_EQ(log_in(second, "phone"), "alice@example.org/phone");
  EXPECT_EQ(condition_of(first.next()), "conflict");
  EXPECT_TRUE(first.wait_closed());
  // The new session stays bound and keeps working.
  second.send("<message to='bob@example.net' id='after'/>");
  ASSERT_EQ(received(server, 1).size(), 1u);
  EXPECT_EQ(server.host->bound_sessions(), 1u);
}

TEST(C2sStanzas, DeliveryToTheClientAndUnbindOnClose) {
  TestServer server;
  {
    TestClient c(server.starttls_port());
    ASSERT_EQ(log_in(c), "alice@example.org/phone");
    // A stanza routed in from s2s is in jabber:server: written as jabber:client.
    xml::Element m("message", "jabber:server");
    m.set_attr("from", "bob@example.net/x").set_attr("to", "alice@example.org/phone");
    m.add_child("body", "jabber:server").set_text("hello & welcome");
    server.on_loop([&] { server.host->deliver_to("alice@example.org/phone", m); });
    auto got = c.next();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->ns(), "jabber:client");
    EXPECT_EQ(got->child("body", "jabber:client")->text(), "hello & welcome");
    // The fake host echoes a message to one's own bare JID.
    c.send("<message to='alice@example.org' id='self'><body>note</body></message>");
    auto echo = c.next();
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->attr_or("id"), "self");
    EXPECT_EQ(echo->attr_or("from"), "alice@example.org/phone");
  }
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.host->unbinds() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server.host->unbinds(), 1u);
  EXPECT_EQ(server.host->bound_sessions(), 0u);
}

}  // namespace
}  // namespace herald::xmpp
