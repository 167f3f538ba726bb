#include "xmpp/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "net/loop_pool.h"

namespace herald::xmpp {
namespace {

using namespace std::chrono_literals;

xml::Element stanza(const std::string& to, const std::string& id = "1") {
  xml::Element m("message", "jabber:server");
  if (!to.empty()) m.set_attr("to", to);
  m.set_attr("id", id);
  return m;
}

struct Recorder : StanzaHandler, StanzaSender {
  void handle(xml::Element s) override { take(std::move(s)); }
  void send(xml::Element s) override { take(std::move(s)); }
  void take(xml::Element s) {
    std::lock_guard lock(mu);
    ids.push_back(std::string(s.attr_or("id")));
    threads.push_back(std::this_thread::get_id());
    if (pool) loops.push_back(pool->current());
  }
  size_t count() {
    std::lock_guard lock(mu);
    return ids.size();
  }
  std::mutex mu;
  std::vector<std::string> ids;
  std::vector<std::thread::id> threads;
  std::vector<std::optional<size_t>> loops;
  net::LoopPool* pool = nullptr;
};

bool wait_for(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  return done();
}

TEST(Router, DomainOfNormalisesAndFindsTheDomainpart) {
  EXPECT_EQ(Router::domain_of("example.org"), "example.org");
  EXPECT_EQ(Router::domain_of("user@Example.ORG./phone"), "example.org");
  EXPECT_EQ(Router::domain_of("user@example.org/res@with/slash"), "example.org");
  EXPECT_EQ(Router::domain_of("example.org/a@b"), "example.org") << "the '@' is in the resource";
  EXPECT_EQ(Router::domain_of(""), std::nullopt);
  EXPECT_EQ(Router::domain_of("user@/res"), std::nullopt);
  EXPECT_EQ(Router::domain_of("a..b"), std::nullopt);
}

TEST(Router, LocalDomainsAreHandledOnTheCallersThreadAndTheRestGoesOut) {
  Router router;
  Recorder home, remote;
  router.add_local("Home.Test", home);
  router.set_remote(remote);
  router.start();
  EXPECT_TRUE(router.is_local("home.test"));
  router.send(stanza("alice@HOME.test/phone", "local"));
  router.send(stanza("bob@elsewhere.test", "remote"));
  router.send(stanza("", "no-to"));
  router.send(stanza("bad@/x", "bad-to"));
  ASSERT_EQ(home.ids, std::vector<std::string>{"local"}) << "inline: already there";
  EXPECT_EQ(home.threads[0], std::this_thread::get_id());
  EXPECT_EQ(remote.ids, std::vector<std::string>{"remote"});
}

TEST(Router, WhatATransportReceivedIsNeverRelayedOut) {
  Router router;
  Recorder home, remote;
  router.add_local("home.test", home);
  router.set_remote(remote);
  router.start();
  router.handle(stanza("alice@home.test", "for-us"));
  router.handle(stanza("carol@other.test", "not-for-us"));
  EXPECT_EQ(home.ids, std::vector<std::string>{"for-us"});
  EXPECT_TRUE(remote.ids.empty());
}

TEST(Router, ALoopBoundHandlerIsAlwaysPostedToItsLoop) {
  net::LoopPool pool(2);
  Router router;
  Recorder service;
  service.pool = &pool;
  router.add_local("upload.home.test", service, pool.loop(1));
  router.start();
  pool.start();
  // From the test's thread, and from the handler's own loop: both posted.
  router.send(stanza("upload.home.test", "a"));
  std::promise<size_t> seen_inline;
  pool.post(1, [&] {
    router.send(stanza("upload.home.test", "b"));
    seen_inline.set_value(service.count());
  });
  auto inline_count = seen_inline.get_future().get();
  EXPECT_LE(inline_count, 1u) << "not called inside send() on its own loop";
  ASSERT_TRUE(wait_for([&] { return service.count() == 2; }));
  for (auto loop : service.loops) EXPECT_EQ(loop, 1u);
}

TEST(Router, TheRemoteOutletRunsOnItsLoop) {
  net::LoopPool pool(3);
  Router router;
  Recorder s2s;
  s2s.pool = &pool;
  router.set_remote(s2s, &pool.loop(0));
  router.start();
  pool.start();
  std::promise<size_t> on_zero;
  pool.post(0, [&] {
    router.send(stanza("x@remote.test", "from-0"));
    on_zero.set_value(s2s.count());
  });
  EXPECT_EQ(on_zero.get_future().get(), 1u) << "called directly on its own loop";
  pool.post(2, [&] { router.send(stanza("x@remote.test", "from-2")); });
  ASSERT_TRUE(wait_for([&] { return s2s.count() == 2; }));
  EXPECT_EQ(s2s.loops[0], 0u);
  EXPECT_EQ(s2s.loops[1], 0u) << "posted from loop 2 to loop 0";
}

TEST(Router, RoutesFromManyThreadsAtOnceWithoutLocks) {
  net::LoopPool pool(4);
  Router router;
  Recorder home, s2s;
  router.add_local("home.test", home);  // Recorder locks itself
  router.set_remote(s2s, &pool.loop(0));
  router.start();
  pool.start();
  constexpr int kEach = 500;
  for (size_t loop = 0; loop < pool.size(); ++loop)
    pool.post(loop, [&] {
      for (int i = 0; i < kEach; ++i) {
        router.send(stanza("a@home.test"));
        router.send(stanza("b@remote.test"));
      }
    });
  ASSERT_TRUE(wait_for([&] { return home.count() == 4 * kEach && s2s.count() == 4 * kEach; }));
}

TEST(Router, IsSetUpOnlyBeforeStart) {
  Router router;
  Recorder h;
  router.add_local("a.test", h);
  EXPECT_THROW(router.add_local("A.test", h), std::invalid_argument) << "same domain, normalised";
  EXPECT_THROW(router.add_local("not a domain", h), std::invalid_argument);
  router.start();
  EXPECT_THROW(router.add_local("b.test", h), std::logic_error);
  EXPECT_THROW(router.set_remote(h), std::logic_error);
}

}  // namespace
}  // namespace herald::xmpp
