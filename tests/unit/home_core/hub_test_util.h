// A hub on real loops for tests: a LoopPool, the router with the hub as
// the handler of home.test and a recording remote outlet, disco and ping,
// and sessions that record what the hub delivers to them.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "home/core/disco_service.h"
#include "home/core/hub.h"
#include "home/core/ping_service.h"
#include "net/loop_pool.h"
#include "xmpp/router.h"

namespace herald::home::core::testing {

using namespace std::chrono_literals;

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 3s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  return done();
}

// A session as the hub sees one: lives on `loop`, records deliveries and
// the loop they ran on, and the stream error that closed it.
class TestSession : public Session {
 public:
  TestSession(net::LoopPool& pool, size_t loop) : pool_(pool), loop_(loop) {}
  const xmpp::Jid& full_jid() const override { return *jid_; }
  size_t loop() const override { return loop_; }
  void deliver(xml::Element stanza) override {
    std::lock_guard lock(mu_);
    if (pool_.current() != loop_) ++wrong_loop_;
    if (closed_.empty()) stanzas_.push_back(std::move(stanza));
  }
  void close(std::string_view condition, std::string_view) override {
    std::lock_guard lock(mu_);
    if (pool_.current() != loop_) ++wrong_loop_;
    if (closed_.empty()) closed_ = std::string(condition);
  }
  void set_jid(const xmpp::Jid& jid) { jid_ = jid; }

  std::vector<xml::Element> stanzas() {
    std::lock_guard lock(mu_);
    return stanzas_;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return stanzas_.size();
  }
  std::string closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }
  int wrong_loop() {
    std::lock_guard lock(mu_);
    return wrong_loop_;
  }

 private:
  net::LoopPool& pool_;
  size_t loop_;
  std::optional<xmpp::Jid> jid_;
  std::mutex mu_;
  std::vector<xml::Element> stanzas_;
  std::string closed_;
  int wrong_loop_ = 0;
};

// The remote outlet (s2s) on loop 0.
class Outlet : public xmpp::StanzaSender {
 public:
  explicit Outlet(net::LoopPool& pool) : pool_(pool) {}
  void send(xml::Element stanza) override {
    std::lock_guard lock(mu_);
    if (pool_.current() != 0u) ++wrong_loop_;
    stanzas_.push_back(std::move(stanza));
  }
  std::vector<xml::Element> stanzas() {
    std::lock_guard lock(mu_);
    return stanzas_;
  }
  int wrong_loop() {
    std::lock_guard lock(mu_);
    return wrong_loop_;
  }

 private:
  net::LoopPool& pool_;
  std::mutex mu_;
  std::vector<xml::Element> stanzas_;
  int wrong_loop_ = 0;
};

inline xml::Element stanza(std::string name, const std::string& to, const std::string& type = {},
                           const std::string& id = "s1") {
  xml::Element s(std::move(name), "jabber:server");
  if (!to.empty()) s.set_attr("to", to);
  if (!type.empty()) s.set_attr("type", type);
  s.set_attr("id", id);
  return s;
}

inline xml::Element chat(const std::string& to, const std::string& body, const std::string& type = "chat") {
  xml::Element m = stanza("message", to, type, body);
  m.add_child("body", "jabber:server").set_text(body);
  return m;
}

inline xml::Element presence(int priority = 0, const std::string& type = {}) {
  xml::Element p = stanza("presence", "", type);
  if (priority) p.add_child("priority", "jabber:server").set_text(std::to_string(priority));
  return p;
}

inline xml::Element iq_get(const std::string& to, std::string_view ns, const std::string& id = "q1",
                           const std::string& child = "query") {
  xml::Element iq = stanza("iq", to, "get", id);
  iq.add_child(child, std::string(ns));
  return iq;
}

struct HubFixture {
  explicit HubFixture(size_t loops = 4, HubConfig::ConflictPolicy policy = HubConfig::ConflictPolicy::take_over,
                      size_t max_resources = 10,
                      std::function<void(Services&)> more_services = {})
      : pool(loops), outlet(pool) {
    c2s.max_resources = max_resources;
    HubConfig config;
    config.hosts = {"home.test"};
    config.conflict = policy;
    disco = std::make_unique<DiscoService>(services, router);
    ping = std::make_unique<PingService>(services, router);
    if (more_services) more_services(services);
    hub = std::make_unique<Hub>(pool, config, c2s, services, router);
    router.add_local("home.test", *hub);
    router.set_remote(outlet, &pool.loop(0));
    hub->start();
    router.start();
    pool.start();
  }
  ~HubFixture() {
    pool.stop();
    pool.join();
  }

  std::shared_ptr<TestSession> session(size_t loop) {
    return std::make_shared<TestSession>(pool, loop);
  }

  // Binds on the session's loop, as a client stream would.
  Result<xmpp::Jid> bind(const std::shared_ptr<TestSession>& s, const std::string& bare,
                         const std::string& resource) {
    std::promise<Result<xmpp::Jid>> answer;
    auto future = answer.get_future();
    pool.post(s->loop(), [&, s] {
      hub->bind(s, *xmpp::Jid::parse(bare), resource, [&, s](Result<xmpp::Jid> r) {
        EXPECT_TRUE(pool.on_loop(s->loop())) << "bind answers on the session's loop";
        if (r.ok()) s->set_jid(*r);
        answer.set_value(std::move(r));
      });
    });
    if (future.wait_for(3s) != std::future_status::ready) return Timeout("bind");
    return future.get();
  }
  std::shared_ptr<TestSession> online(size_t loop, const std::string& bare, const std::string& resource,
                                      std::optional<int> priority = 0) {
    auto s = session(loop);
    auto r = bind(s, bare, resource);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (priority) send(s, presence(*priority));
    return s;
  }
  void send(const std::shared_ptr<TestSession>& s, xml::Element stanza) {
    pool.post(s->loop(), [this, s, stanza = std::move(stanza)]() mutable {
      hub->from_session(*s, std::move(stanza));
    });
  }
  void unbind(const std::shared_ptr<TestSession>& s) {
    pool.post(s->loop(), [this, s] { hub->unbound(*s); });
  }
  // Waits until every loop has run what was posted to it so far (twice
  // round, for work that crossed loops once more).
  void settle() {
    for (int round = 0; round < 3; ++round)
      for (size_t i = 0; i < pool.size(); ++i) {
        std::promise<void> p;
        pool.post(i, [&] { p.set_value(); });
        p.get_future().wait();
      }
  }

  net::LoopPool pool;
  xmpp::C2sConfig c2s;
  Services services;
  xmpp::Router router;
  Outlet outlet;
  std::unique_ptr<DiscoService> disco;
  std::unique_ptr<PingService> ping;
  std::unique_ptr<Hub> hub;
};

}  // namespace herald::home::core::testing
