// Routing across loops: sessions of one account and of its contacts on
// different loops, RFC 6121 8.5's rules for full and bare JIDs and
// priorities, the server's own services, and the remote outlet.
#include "hub_test_util.h"

#include <map>

#include "xml/serializer.h"

namespace herald::home::core::testing {
namespace {

std::vector<std::string> ids(const std::vector<xml::Element>& stanzas) {
  std::vector<std::string> out;
  for (const auto& s : stanzas) out.push_back(std::string(s.attr_or("id")));
  return out;
}

// The stanza error condition of an error reply, "" if it is none.
std::string condition(const xml::Element& s) {
  if (s.attr_or("type") != "error") return "";
  const xml::Element* e = s.child("error", s.ns());
  return e && !e->children().empty() ? e->children()[0].name() : "?";
}

TEST(HubRouting, FullJidReachesThatSessionOnItsLoopWithTheSendersJid) {
  HubFixture f;
  auto alice = f.online(0, "alice@home.test", "phone");
  auto bob_pc = f.online(1, "bob@home.test", "pc");
  auto bob_phone = f.online(3, "bob@home.test", "phone");
  xml::Element m = chat("bob@home.test/phone", "hi");
  m.set_attr("from", "mallory@home.test/spoofed");
  f.send(alice, m);
  ASSERT_TRUE(wait_until([&] { return bob_phone->count() == 1; }));
  auto got = bob_phone->stanzas()[0];
  EXPECT_EQ(got.attr_or("from"), "alice@home.test/phone") << "the session's JID, not the client's";
  EXPECT_EQ(got.child("body", "jabber:server")->text(), "hi");
  f.settle();
  EXPECT_EQ(bob_pc->count(), 0u);
  EXPECT_EQ(bob_phone->wrong_loop(), 0);
}

TEST(HubRouting, ClientNamespaceBecomesTheServersAndPayloadsStayAsSent) {
  HubFixture f;
  auto alice = f.online(2, "alice@home.test", "a");
  auto bob = f.online(1, "bob@home.test", "b");
  xml::Element m("message", "jabber:client");
  m.set_attr("to", "bob@home.test/b").set_attr("type", "chat").set_attr("id", "x");
  m.add_child("body", "jabber:client").set_text("plain");
  xml::Element& p = m.add_child("html", "http://jabber.org/protocol/xhtml-im")
                        .add_child("body", "http://www.w3.org/1999/xhtml")
                        .add_child("p", "http://www.w3.org/1999/xhtml");
  p.append_text("a ");
  p.add_child("b", "http://www.w3.org/1999/xhtml").set_text("b");
  p.append_text(" c");
  f.send(alice, m);
  ASSERT_TRUE(wait_until([&] { return bob->count() == 1; }));
  auto got = bob->stanzas()[0];
  EXPECT_EQ(got.ns(), "jabber:server");
  EXPECT_EQ(xml::serialize(got.children()[1]),
            "<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'>"
            "<p>a <b>b</b> c</p></body></html>");
}

TEST(HubRouting, BareJidMessagesGoToTheHighestNonNegativePriority) {
  HubFixture f(4);
  auto alice = f.online(0, "alice@home.test", "a");
  auto five = f.online(1, "bob@home.test", "five", 5);
  auto five_too = f.online(2, "bob@home.test", "five-too", 5);
  auto ten = f.online(3, "bob@home.test", "ten", 10);
  auto silent = f.online(1, "bob@home.test", "no-presence", std::nullopt);
  f.settle();
  f.send(alice, chat("bob@home.test", "m1"));
  ASSERT_TRUE(wait_until([&] { return ten->count() == 1; }));
  // The top one goes away: both of priority 5 get the next.
  f.send(ten, presence(0, "unavailable"));
  f.settle();
  f.send(alice, chat("bob@home.test", "m2", "normal"));
  ASSERT_TRUE(wait_until([&] { return five->count() == 1 && five_too->count() == 1; }));
  f.settle();
  EXPECT_EQ(ten->count(), 1u);
  EXPECT_EQ(silent->count(), 0u) << "a session that sent no presence is not available";
  // Headlines go to every available one of non-negative priority.
  f.send(ten, presence(-1));
  f.settle();
  f.send(alice, chat("bob@home.test", "h1", "headline"));
  ASSERT_TRUE(wait_until([&] { return five->count() == 2 && five_too->count() == 2; }));
  f.settle();
  EXPECT_EQ(ten->count(), 1u) << "negative priority: no headline";
}

TEST(HubRouting, NoResourceOfNonNegativePriorityAnswersServiceUnavailable) {
  HubFixture f;
  auto alice = f.online(0, "alice@home.test", "a");
  auto bob = f.online(2, "bob@home.test", "low", -5);
  f.settle();
  f.send(alice, chat("bob@home.test", "nobody-there"));
  f.send(alice, chat("carol@home.test", "never-online"));
  ASSERT_TRUE(wait_until([&] { return alice->count() == 2; }));
  for (const auto& e : alice->stanzas()) {
    EXPECT_EQ(condition(e), "service-unavailable");
    EXPECT_EQ(e.attr_or("to"), "alice@home.test/a");
  }
  EXPECT_EQ(bob->count(), 0u);
}

TEST(HubRouting, TheOfflineHookTakesWhatNobodyCanReceive) {
  std::mutex mu;
  std::vector<std::string> stored;
  HubFixture f(4, HubConfig::ConflictPolicy::take_over, 10, [&](Services& s) {
    s.set_offline_store([&](const xmpp::Jid& to, xml::Element& m) {
      std::lock_guard lock(mu);
      stored.push_back(to.str() + " " + std::string(m.attr_or("id")));
      return true;
    });
  });
  auto alice = f.online(1, "alice@home.test", "a");
  f.send(alice, chat("bob@home.test", "later"));
  f.send(alice, chat("bob@home.test/gone", "to-a-resource"));
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mu);
    return stored.size() == 2;
  }));
  f.settle();
  EXPECT_EQ(alice->count(), 0u) << "no error when the store took it";
  std::lock_guard lock(mu);
  EXPECT_EQ(stored[0], "bob@home.test later");
}

TEST(HubRouting, NoSuchResourceFollowsRfc6121) {
  HubFixture f;
  auto alice = f.online(0, "alice@home.test", "a");
  auto bob = f.online(1, "bob@home.test", "here", 1);
  f.settle();
  // A chat message falls back to the bare JID's rules; an IQ request is
  // refused; presence and a groupchat message are not delivered.
  f.send(alice, chat("bob@home.test/gone", "fallback"));
  f.send(alice, iq_get("bob@home.test/gone", "urn:xmpp:time", "iq1", "time"));
  xml::Element p = stanza("presence", "bob@home.test/gone");
  f.send(alice, p);
  f.send(alice, chat("bob@home.test/gone", "gc", "groupchat"));
  ASSERT_TRUE(wait_until([&] { return bob->count() == 1 && alice->count() == 2; }));
  f.settle();
  EXPECT_EQ(ids(bob->stanzas()), std::vector<std::string>{"fallback"});
  auto answers = alice->stanzas();
  ASSERT_EQ(answers.size(), 2u);
  for (const auto& a : answers) EXPECT_EQ(condition(a), "service-unavailable") << xml::serialize(a);
}

TEST(HubRouting, PresenceToTheBareJidReachesEveryAvailableResource) {
  HubFixture f;
  auto alice = f.online(0, "alice@home.test", "a");
  auto b1 = f.online(1, "bob@home.test", "1", -3);
  auto b2 = f.online(2, "bob@home.test", "2", 4);
  auto b3 = f.online(3, "bob@home.test", "3", std::nullopt);
  f.settle();
  f.send(alice, stanza("presence", "bob@home.test", "", "directed"));
  ASSERT_TRUE(wait_until([&] { return b1->count() == 1 && b2->count() == 1; }));
  f.settle();
  EXPECT_EQ(b3->count(), 0u);
}

TEST(HubRouting, SubscriptionPresenceGoesToTheHooksOnTheAccountsLoop) {
  std::atomic<int> taken{0};
  std::atomic<int> wrong_loop{0};
  HubFixture* fixture = nullptr;
  HubFixture f(4, HubConfig::ConflictPolicy::take_over, 10, [&](Services& s) {
    s.on_inbound_presence([&](const xmpp::Jid& to, xml::Element& p) {
      if (fixture && fixture->pool.current() != fixture->hub->account_loop(to)) ++wrong_loop;
      if (p.attr_or("type") == "subscribe") ++taken;
      return true;
    });
  });
  fixture = &f;
  auto alice = f.online(0, "alice@home.test", "a");
  auto bob = f.online(1, "bob@home.test", "b", 0);
  f.send(alice, stanza("presence", "bob@home.test", "subscribe"));
  ASSERT_TRUE(wait_until([&] { return taken == 1; }));
  f.settle();
  EXPECT_EQ(bob->count(), 0u);
  EXPECT_EQ(wrong_loop, 0);
}

TEST(HubRouting, AMessageWithoutToIsForTheSendersOwnAccount) {
  HubFixture f;
  auto a = f.online(0, "alice@home.test", "a", 1);
  auto b = f.online(3, "alice@home.test", "b", 1);
  f.settle();
  f.send(a, chat("", "note-to-self"));
  ASSERT_TRUE(wait_until([&] { return a->count() == 1 && b->count() == 1; }));
}

TEST(HubRouting, OtherDomainsGoToTheRemoteOutletOnLoopZero) {
  HubFixture f;
  auto alice = f.online(3, "alice@home.test", "a");
  f.send(alice, chat("carol@remote.test", "far"));
  ASSERT_TRUE(wait_until([&] { return f.outlet.stanzas().size() == 1; }));
  EXPECT_EQ(f.outlet.stanzas()[0].attr_or("from"), "alice@home.test/a");
  EXPECT_EQ(f.outlet.wrong_loop(), 0);
}

TEST(HubRouting, InboundFromAnotherServerReachesTheAccount) {
  HubFixture f;
  auto bob = f.online(2, "bob@home.test", "b", 0);
  f.settle();
  xml::Element m = chat("bob@home.test", "from-afar");
  m.set_attr("from", "carol@remote.test/x");
  f.pool.post(0, [&f, m]() mutable { f.router.handle(std::move(m)); });  // as s2s delivers
  ASSERT_TRUE(wait_until([&] { return bob->count() == 1; }));
  EXPECT_EQ(bob->stanzas()[0].attr_or("from"), "carol@remote.test/x");
}

TEST(HubRouting, ManySendersOnEveryLoopLoseNothingAndKeepOrderPerPair) {
  HubFixture f(4);
  std::vector<std::shared_ptr<TestSession>> senders;
  for (size_t i = 0; i < 8; ++i)
    senders.push_back(f.online(i % 4, "s" + std::to_string(i) + "@home.test", "r"));
  auto sink = f.online(1, "sink@home.test", "r", 0);
  f.settle();
  constexpr int kEach = 200;
  for (size_t i = 0; i < senders.size(); ++i)
    for (int n = 0; n < kEach; ++n)
      f.send(senders[i], chat("sink@home.test", std::to_string(i) + ":" + std::to_string(n)));
  ASSERT_TRUE(wait_until([&] { return sink->count() == senders.size() * kEach; }, 10s));
  std::vector<int> next(senders.size(), 0);
  for (const auto& m : sink->stanzas()) {
    std::string id(m.attr_or("id"));
    size_t colon = id.find(':');
    size_t sender = std::stoul(id.substr(0, colon));
    EXPECT_EQ(std::stoi(id.substr(colon + 1)), next[sender]++) << "in order from each sender";
  }
  EXPECT_EQ(sink->wrong_loop(), 0);
}

TEST(HubServices, ServerDiscoListsEveryServicesFeatures) {
  HubFixture f;
  auto alice = f.online(1, "alice@home.test", "a");
  f.send(alice, iq_get("home.test", kDiscoInfoNs, "d1"));
  ASSERT_TRUE(wait_until([&] { return alice->count() == 1; }));
  auto reply = alice->stanzas()[0];
  EXPECT_EQ(reply.attr_or("type"), "result");
  EXPECT_EQ(reply.attr_or("from"), "home.test");
  EXPECT_EQ(reply.attr_or("id"), "d1");
  const xml::Element* q = reply.child("query", kDiscoInfoNs);
  ASSERT_NE(q, nullptr);
  std::vector<std::string> features, identities;
  for (const auto& c : q->children()) {
    if (c.name() == "feature") features.push_back(std::string(c.attr_or("var")));
    if (c.name() == "identity")
      identities.push_back(std::string(c.attr_or("category")) + "/" + std::string(c.attr_or("type")));
  }
  EXPECT_EQ(identities, std::vector<std::string>{"server/im"});
  EXPECT_EQ(features, (std::vector<std::string>{std::string(kDiscoInfoNs), std::string(kDiscoItemsNs),
                                                "urn:xmpp:ping"}));
  f.send(alice, iq_get("home.test", kDiscoItemsNs, "d2"));
  ASSERT_TRUE(wait_until([&] { return alice->count() == 2; }));
  EXPECT_EQ(alice->stanzas()[1].attr_or("type"), "result");
  EXPECT_NE(alice->stanzas()[1].child("query", kDiscoItemsNs), nullptr);
}

TEST(HubServices, PingAndUnknownNamespacesOfTheServer) {
  HubFixture f;
  auto alice = f.online(2, "alice@home.test", "a");
  f.send(alice, iq_get("home.test", kPingNs, "p1", "ping"));
  f.send(alice, iq_get("home.test", "urn:example:nothing", "p2"));
  f.send(alice, iq_get("", kPingNs, "p3", "ping"));  // no 'to': the account itself
  ASSERT_TRUE(wait_until([&] { return alice->count() == 3; }));
  auto r = alice->stanzas();
  std::map<std::string, std::string> by_id;
  for (const auto& s : r) by_id[std::string(s.attr_or("id"))] = std::string(s.attr_or("type")) + condition(s);
  EXPECT_EQ(by_id["p1"], "result");
  EXPECT_EQ(by_id["p2"], "errorservice-unavailable");
  EXPECT_EQ(by_id["p3"], "result");
}

TEST(HubServices, AccountDiscoAnswersTheAccountOnlyAndStrangersCannotTell) {
  HubFixture f;
  auto alice = f.online(0, "alice@home.test", "a");
  auto bob = f.online(3, "bob@home.test", "b");
  f.send(alice, iq_get("alice@home.test", kDiscoInfoNs, "own"));
  f.send(bob, iq_get("alice@home.test", kDiscoInfoNs, "exists"));
  f.send(bob, iq_get("nobody@home.test", kDiscoInfoNs, "missing"));
  ASSERT_TRUE(wait_until([&] { return alice->count() == 1 && bob->count() == 2; }));
  auto own = alice->stanzas()[0];
  ASSERT_EQ(own.attr_or("type"), "result");
  const xml::Element* id = own.child("query", kDiscoInfoNs)->child("identity", kDiscoInfoNs);
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->attr_or("category"), "account");
  EXPECT_EQ(id->attr_or("type"), "registered");
  // Two accounts, two loops: the answers may come in either order.
  std::map<std::string, std::string> by_id;
  for (const auto& a : bob->stanzas())
    by_id[std::string(a.attr_or("id"))] = std::string(a.attr_or("from")) + " " + condition(a);
  EXPECT_EQ(by_id["exists"], "alice@home.test service-unavailable");
  EXPECT_EQ(by_id["missing"], "nobody@home.test service-unavailable");
}

}  // namespace
}  // namespace herald::home::core::testing
