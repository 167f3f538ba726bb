// Resource binding: requested and generated resources, conflicts (RFC 6120
// 7.7.2.2), max_resources, unbinding in every order, deletion, shutdown.
#include "hub_test_util.h"

namespace herald::home::core::testing {
namespace {

TEST(HubBinding, BindsRequestedAndGeneratedResources) {
  HubFixture f;
  auto a = f.session(1);
  auto r = f.bind(a, "alice@home.test", "phone");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->str(), "alice@home.test/phone");
  auto b = f.session(2);
  auto g = f.bind(b, "Alice@HOME.test", "");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->bare().str(), "alice@home.test");
  EXPECT_EQ(g->resource().size(), 16u) << "a random resource the server made";
  EXPECT_NE(g->resource(), "phone");
  EXPECT_EQ(f.hub->session_count(), 2u);
  auto c = f.session(0);
  auto bad = f.bind(c, "alice@home.test", std::string(1100, 'x'));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().is(StatusCode::invalid));
}

TEST(HubBinding, ANewSessionTakesOverTheResourceAndTheOldOneGetsConflict) {
  HubFixture f;
  auto old_session = f.online(1, "alice@home.test", "phone");
  auto new_session = f.online(2, "alice@home.test", "phone");
  ASSERT_TRUE(wait_until([&] { return old_session->closed() == "conflict"; }));
  EXPECT_EQ(new_session->closed(), "");
  EXPECT_EQ(f.hub->session_count(), 1u);
  // The old stream reports its end later; the new session must stay bound.
  f.unbind(old_session);
  f.settle();
  EXPECT_EQ(f.hub->session_count(), 1u);
  auto bob = f.online(3, "bob@home.test", "pc");
  f.send(bob, chat("alice@home.test/phone", "after the take-over"));
  ASSERT_TRUE(wait_until([&] { return new_session->count() == 1; }));
  EXPECT_EQ(old_session->count(), 0u);
  EXPECT_EQ(new_session->wrong_loop() + old_session->wrong_loop(), 0);
}

TEST(HubBinding, RefusePolicyKeepsTheFirstSession) {
  HubFixture f(2, HubConfig::ConflictPolicy::refuse);
  auto first = f.online(0, "alice@home.test", "phone");
  auto second = f.session(1);
  auto r = f.bind(second, "alice@home.test", "phone");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(StatusCode::exists));
  f.settle();
  EXPECT_EQ(first->closed(), "");
  EXPECT_EQ(f.hub->session_count(), 1u);
}

TEST(HubBinding, MaxResourcesRefusesOneMoreButNotATakeOver) {
  HubFixture f(3, HubConfig::ConflictPolicy::take_over, 2);
  f.online(0, "alice@home.test", "a");
  f.online(1, "alice@home.test", "b");
  auto third = f.session(2);
  auto r = f.bind(third, "alice@home.test", "c");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().is(StatusCode::unavailable));
  auto again = f.session(2);
  EXPECT_TRUE(f.bind(again, "alice@home.test", "b").ok()) << "replacing one is not one more";
  EXPECT_TRUE(f.bind(f.session(0), "bob@home.test", "a").ok()) << "the limit is per account";
}

TEST(HubBinding, UnboundRemovesTheSessionAndRunsTheHooks) {
  std::mutex mu;
  std::vector<std::string> events;
  HubFixture f(4, HubConfig::ConflictPolicy::take_over, 10, [&](Services& s) {
    s.on_session_bound([&](const xmpp::Jid& j, bool) {
      std::lock_guard lock(mu);
      events.push_back("bound " + j.str());
    });
    s.on_session_unbound([&](const xmpp::Jid& j, bool available) {
      std::lock_guard lock(mu);
      events.push_back("unbound " + j.str() + (available ? " available" : ""));
    });
  });
  auto a = f.online(1, "alice@home.test", "phone", 3);
  f.settle();
  f.unbind(a);
  ASSERT_TRUE(wait_until([&] { return f.hub->session_count() == 0; }));
  f.settle();
  std::lock_guard lock(mu);
  EXPECT_EQ(events, (std::vector<std::string>{"bound alice@home.test/phone",
                                              "unbound alice@home.test/phone available"}));
}

TEST(HubBinding, ASessionThatEndsWhileItsBindIsOnTheWayIsUnboundToo) {
  HubFixture f;
  for (int i = 0; i < 20; ++i) {
    auto s = f.session(size_t(i) % 4);
    std::promise<void> answered;
    f.pool.post(s->loop(), [&, s] {
      f.hub->bind(s, *xmpp::Jid::parse("alice@home.test"), "r" + std::to_string(i),
                  [&](Result<xmpp::Jid>) { answered.set_value(); });
      f.hub->unbound(*s);  // the stream ended before the answer
    });
    answered.get_future().wait();
  }
  ASSERT_TRUE(wait_until([&] { return f.hub->session_count() == 0; }));
}

TEST(HubBinding, AccountDeletionClosesEverySessionAndRunsTheHook) {
  std::atomic<int> deleted{0};
  HubFixture f(4, HubConfig::ConflictPolicy::take_over, 10,
               [&](Services& s) { s.on_account_deleted([&](const xmpp::Jid&) { ++deleted; }); });
  auto a = f.online(1, "alice@home.test", "a");
  auto b = f.online(2, "alice@home.test", "b");
  auto bob = f.online(3, "bob@home.test", "x");
  f.hub->account_deleted(*xmpp::Jid::parse("alice@home.test"));
  ASSERT_TRUE(wait_until([&] { return a->closed() == "not-authorized" && b->closed() == "not-authorized"; }));
  ASSERT_TRUE(wait_until([&] { return deleted == 1 && f.hub->session_count() == 1; }));
  EXPECT_EQ(bob->closed(), "");
}

TEST(HubBinding, ShutdownClosesEverySessionAndRefusesNewBinds) {
  HubFixture f;
  std::vector<std::shared_ptr<TestSession>> sessions;
  for (size_t i = 0; i < 8; ++i)
    sessions.push_back(f.online(i % 4, "user" + std::to_string(i) + "@home.test", "r"));
  f.hub->close_all_sessions("system-shutdown", "");
  for (auto& s : sessions) ASSERT_TRUE(wait_until([&] { return s->closed() == "system-shutdown"; }));
  auto late = f.bind(f.session(0), "late@home.test", "r");
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(late.status().is(StatusCode::unavailable));
}

}  // namespace
}  // namespace herald::home::core::testing
