#include "push/app_server.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "base/log.h"
#include "fixture_xml.h"
#include "push/publish.h"
#include "../store/test_support.h"
#include "push/v1/registrar.h"
#include "store/push_schema.h"
#include "xmpp/iq.h"

namespace herald::push {
namespace {

using namespace std::chrono_literals;

// Answers on the io_context like a real upstream; per-token outcomes, or
// holds the callback when `answer` is off.
class FakeUpstream : public Upstream {
 public:
  explicit FakeUpstream(asio::io_context& io) : io_(io) {}
  void send(const PushJob& job, std::function<void(UpstreamResult)> done) override {
    jobs.push_back(job);
    if (!answer) {
      held_callbacks.push_back(std::move(done));
      return;
    }
    UpstreamResult result{UpstreamStatus::delivered, 200, "", {}};
    if (auto it = outcomes.find(job.token); it != outcomes.end()) result = it->second;
    asio::post(io_, [done = std::move(done), result] { done(result); });
  }
  bool token_plausible(const std::string& token) const override {
    return !token.empty() && token.find_first_not_of("0123456789abcdef") == std::string::npos;
  }

  bool answer = true;
  std::map<std::string, UpstreamResult> outcomes;
  std::vector<PushJob> jobs;
  std::vector<std::function<void(UpstreamResult)>> held_callbacks;

 private:
  asio::io_context& io_;
};

class CapturingSender : public xmpp::StanzaSender {
 public:
  void send(xml::Element stanza) override { sent.push_back(std::move(stanza)); }
  std::vector<xml::Element> sent;
};

const std::string kTokenA(64, 'a');
const std::string kTokenB(64, 'b');

UpstreamResult status(UpstreamStatus s, int http, std::string reason) {
  return UpstreamResult{s, http, std::move(reason), {}};
}

class AppServerTest : public ::testing::Test {
 public:  // the helpers serve the fixture-less tests below too
  void SetUp() override {
    store::DatabaseOptions o;
    o.target = dir_.file("herald.sqlite");
    db_ = store::Database::open(o, store::push_migrations());
    store_ = std::make_unique<store::TombstoneStore>(*db_);
    tombstones_ = std::make_unique<Tombstones>(io_.get_executor(), *store_);
    upstream_ = std::make_shared<FakeUpstream>(io_);
    other_ = std::make_shared<FakeUpstream>(io_);
  }

  void start(AppServerOptions options = {}, bool with_default = false) {
    std::vector<PushModuleConfig> modules;
    modules.push_back({"example-ios", UpstreamKind::apns, with_default, upstream_});
    modules.push_back({"other-ios", UpstreamKind::apns, false, other_});
    server_ = std::make_unique<AppServer>(io_, "push.test", sender_, std::move(modules),
                                          *tombstones_, options);
  }

  // A captured publish, with its node and id replaced when asked.
  static xml::Element publish(const std::string& fixture, const std::string& token = {},
                              const std::string& id = {}) {
    xml::Element iq = testing::load_stanza("publish/" + fixture);
    if (!token.empty()) {
      iq.child("pubsub", kPubsubNs)->child("publish", kPubsubNs)->set_attr("node", token);
    }
    if (!id.empty()) iq.set_attr("id", id);
    return iq;
  }

  static void set_module(xml::Element& iq, const std::string& module) {
    xml::Element* x = iq.child("pubsub", kPubsubNs)
                          ->child("publish-options", kPubsubNs)
                          ->child("x", "jabber:x:data");
    for (auto& field : x->mutable_children())
      if (field.attr_or("var") == "pushModule") field.mutable_children().at(0).set_text(module);
  }

  // A v1 publish: the registration's node and its secret.
  static xml::Element v1_publish(const std::string& node, const std::string& secret,
                                 const std::string& id) {
    xml::Element iq = publish("prosody-default-body-v1-options.xml", node, id);
    xml::Element* x = iq.child("pubsub", kPubsubNs)
                          ->child("publish-options", kPubsubNs)
                          ->child("x", "jabber:x:data");
    for (auto& field : x->mutable_children())
      if (field.attr_or("var") == "secret") field.mutable_children().at(0).set_text(secret);
    return iq;
  }

  static void drop_options(xml::Element& iq) {
    std::erase_if(iq.child("pubsub", kPubsubNs)->mutable_children(),
                  [](const xml::Element& e) { return e.name() == "publish-options"; });
  }

  void run() {
    io_.restart();
    io_.poll();
  }

  // Runs the loop until `done` or a timeout.
  template <typename Pred>
  bool run_until(Pred done, std::chrono::milliseconds limit = 3000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) {
      io_.restart();
      io_.run_for(5ms);
    }
    return done();
  }

  static void expect_error(const xml::Element& reply, std::string_view type,
                           std::string_view condition) {
    EXPECT_EQ(reply.attr_or("type"), "error");
    const xml::Element* error = reply.child("error", "jabber:server");
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->attr_or("type"), type);
    ASSERT_FALSE(error->children().empty());
    EXPECT_TRUE(error->children()[0].is(condition, xmpp::kStanzasNs))
        << "condition " << error->children()[0].name();
  }

  void TearDown() override {
    server_.reset();
    tombstones_.reset();
    store_.reset();
    db_.reset();
  }

  // How many tombstones the store holds once the written-behind ones are in.
  size_t stored() {
    EXPECT_TRUE(run_until([&] { return tombstones_->unsaved() == 0; }));
    auto all = store::await<Result<std::vector<store::Tombstone>>>(
        [&](auto ex, auto done) { store_->load_all(ex, done); });
    EXPECT_TRUE(all.ok()) << all.status().to_string();
    return all.ok() ? all->size() : 999;
  }

  asio::io_context io_;
  CapturingSender sender_;
  store::testing::ScratchDir dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::TombstoneStore> store_;
  std::unique_ptr<Tombstones> tombstones_;
  std::shared_ptr<FakeUpstream> upstream_;
  std::shared_ptr<FakeUpstream> other_;
  std::unique_ptr<AppServer> server_;
};

xml::Element iq_get(const std::string& child, const std::string& ns, const std::string& to) {
  xml::Element iq("iq", "jabber:server");
  iq.set_attr("type", "get").set_attr("id", "q1").set_attr("from", "alice@user.test/phone");
  iq.set_attr("to", to);
  iq.add_child(child, ns);
  return iq;
}

TEST_F(AppServerTest, DiscoInfoAnnouncesPushService) {
  start();
  server_->handle(iq_get("query", "http://jabber.org/protocol/disco#info", "push.test"));
  ASSERT_EQ(sender_.sent.size(), 1u);
  const xml::Element& reply = sender_.sent[0];
  EXPECT_EQ(reply.attr_or("type"), "result");
  EXPECT_EQ(reply.attr_or("from"), "push.test");
  EXPECT_EQ(reply.attr_or("to"), "alice@user.test/phone");
  EXPECT_EQ(reply.attr_or("id"), "q1");
  const std::string ns = "http://jabber.org/protocol/disco#info";
  const xml::Element* query = reply.child("query", ns);
  ASSERT_NE(query, nullptr);
  const xml::Element* identity = query->child("identity", ns);
  ASSERT_NE(identity, nullptr);
  EXPECT_EQ(identity->attr_or("category"), "pubsub");
  EXPECT_EQ(identity->attr_or("type"), "push");
  std::set<std::string> features;
  for (const auto& c : query->children())
    if (c.is("feature", ns)) features.insert(std::string(c.attr_or("var")));
  EXPECT_EQ(features, (std::set<std::string>{"urn:xmpp:push:0", "urn:xmpp:ping",
                                             "http://jabber.org/protocol/disco#info"}));
}

TEST_F(AppServerTest, DomainIsComparedAfterNormalisation) {
  start();
  // RFC 7622: the domainpart is case-folded, one trailing dot dropped.
  for (const char* to : {"PUSH.test", "push.test.", "Push.Test."}) {
    sender_.sent.clear();
    server_->handle(iq_get("query", "http://jabber.org/protocol/disco#info", to));
    server_->handle(iq_get("ping", "urn:xmpp:ping", to));
    ASSERT_EQ(sender_.sent.size(), 2u) << to;
    EXPECT_EQ(sender_.sent[0].attr_or("type"), "result") << to;
    EXPECT_NE(sender_.sent[0].child("query", "http://jabber.org/protocol/disco#info"), nullptr);
    EXPECT_EQ(sender_.sent[1].attr_or("type"), "result") << to;
  }
  // A JID at the domain is not the domain: its disco is not ours to answer.
  sender_.sent.clear();
  server_->handle(iq_get("query", "http://jabber.org/protocol/disco#info", "someone@PUSH.test"));
  ASSERT_EQ(sender_.sent.size(), 1u);
  expect_error(sender_.sent[0], "cancel", "service-unavailable");
}

TEST_F(AppServerTest, PingGetsEmptyResult) {
  start();
  server_->handle(iq_get("ping", "urn:xmpp:ping", "push.test"));
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0].attr_or("type"), "result");
  EXPECT_EQ(sender_.sent[0].attr_or("to"), "alice@user.test/phone");
  EXPECT_TRUE(sender_.sent[0].children().empty());
  EXPECT_EQ(server_->counters().pings, 1u);
}

TEST_F(AppServerTest, OtherIqsAreServiceUnavailableAndAnswersIgnored) {
  start();
  server_->handle(iq_get("query", "jabber:iq:version", "push.test"));
  xml::Element set = iq_get("query", "jabber:iq:roster", "push.test");
  set.set_attr("type", "set");
  server_->handle(set);
  ASSERT_EQ(sender_.sent.size(), 2u);
  expect_error(sender_.sent[0], "cancel", "service-unavailable");
  expect_error(sender_.sent[1], "cancel", "service-unavailable");

  for (const char* type : {"result", "error"}) {
    xml::Element answer("iq", "jabber:server");
    answer.set_attr("type", type).set_attr("id", "x").set_attr("from", "user.test");
    server_->handle(answer);
  }
  server_->handle(xml::Element("message", "jabber:server"));
  server_->handle(xml::Element("presence", "jabber:server"));
  run();
  EXPECT_EQ(sender_.sent.size(), 2u);
}

TEST_F(AppServerTest, PublishIsSentAndAnsweredAsProsodyAccepted) {
  start();
  server_->handle(publish("prosody-default-body.xml"));
  EXPECT_TRUE(sender_.sent.empty());  // only once the upstream has answered
  run();
  ASSERT_EQ(upstream_->jobs.size(), 1u);
  EXPECT_EQ(upstream_->jobs[0].token,
            "b7631409dbd4428fa75c264099285631b972cfa9fea3bf38e0bf61d1792d3416");
  EXPECT_TRUE(upstream_->jobs[0].important);
  ASSERT_EQ(sender_.sent.size(), 1u);
  std::string why;
  EXPECT_TRUE(testing::same_tree(
      sender_.sent[0], testing::load_stanza("publish/replies/reply-result-to-prosody.xml"), &why))
      << why;
  EXPECT_EQ(server_->counters().delivered, 1u);
  EXPECT_TRUE(other_->jobs.empty());
}

TEST_F(AppServerTest, PublishSelectsModuleByName) {
  start();
  xml::Element iq = publish("ejabberd-body.xml", kTokenA);
  set_module(iq, "other-ios");
  server_->handle(iq);
  run();
  EXPECT_TRUE(upstream_->jobs.empty());
  ASSERT_EQ(other_->jobs.size(), 1u);
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0].attr_or("type"), "result");
  EXPECT_EQ(sender_.sent[0].attr_or("to"), "ejab.test");
}

TEST_F(AppServerTest, DeadTokenIsCancelledAndNotSentAgain) {
  start();
  upstream_->outcomes[kTokenA] = status(UpstreamStatus::token_dead, 410, "Unregistered");
  server_->handle(publish("ejabberd-body.xml", kTokenA, "one"));
  run();
  ASSERT_EQ(sender_.sent.size(), 1u);
  expect_error(sender_.sent[0], "cancel", "item-not-found");
  EXPECT_EQ(stored(), 1u);

  server_->handle(publish("ejabberd-body.xml", kTokenA, "two"));
  run();
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[1].attr_or("id"), "two");
  expect_error(sender_.sent[1], "cancel", "item-not-found");
  EXPECT_EQ(upstream_->jobs.size(), 1u);  // the second never reached the upstream
  EXPECT_EQ(server_->counters().tombstoned, 1u);

  // An operator clears the tombstone: publishes are accepted again (this one
  // is within the rate-limit window of the first, so it is held).
  upstream_->outcomes.clear();
  tombstones_->clear(kTokenA);
  server_->handle(publish("ejabberd-body.xml", kTokenA, "three"));
  run();
  ASSERT_EQ(sender_.sent.size(), 3u);
  EXPECT_EQ(sender_.sent[2].attr_or("type"), "result");
  EXPECT_EQ(server_->counters().held, 1u);
}

TEST_F(AppServerTest, UnknownOrMissingModuleIsTransient) {
  start();
  xml::Element unknown = publish("ejabberd-body.xml", kTokenA, "u");
  set_module(unknown, "no-such-module");
  server_->handle(unknown);
  xml::Element missing = publish("ejabberd-body.xml", kTokenB, "m");
  drop_options(missing);
  server_->handle(missing);
  run();
  ASSERT_EQ(sender_.sent.size(), 2u);
  expect_error(sender_.sent[0], "wait", "internal-server-error");
  expect_error(sender_.sent[1], "wait", "internal-server-error");
  EXPECT_TRUE(upstream_->jobs.empty());
  EXPECT_EQ(server_->counters().unknown_module, 2u);
}

TEST_F(AppServerTest, MissingModuleUsesTheDefault) {
  start({}, /*with_default=*/true);
  xml::Element missing = publish("ejabberd-body.xml", kTokenB);
  drop_options(missing);
  server_->handle(missing);
  run();
  ASSERT_EQ(upstream_->jobs.size(), 1u);
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0].attr_or("type"), "result");
}

TEST_F(AppServerTest, V1PublishIsItemNotFound) {
  start({}, /*with_default=*/true);
  server_->handle(publish("prosody-default-body-v1-options.xml"));
  run();
  ASSERT_EQ(sender_.sent.size(), 1u);
  expect_error(sender_.sent[0], "cancel", "item-not-found");
  EXPECT_TRUE(upstream_->jobs.empty());
}

TEST_F(AppServerTest, ImplausibleTokenAndMalformedPublishAreBadRequests) {
  start();
  server_->handle(publish("ejabberd-body.xml", "not a token!"));
  xml::Element broken = publish("ejabberd-body.xml");
  broken.child("pubsub", kPubsubNs)->child("publish", kPubsubNs)->remove_attr("node");
  server_->handle(broken);
  run();
  ASSERT_EQ(sender_.sent.size(), 2u);
  expect_error(sender_.sent[0], "modify", "bad-request");
  expect_error(sender_.sent[1], "modify", "bad-request");
  EXPECT_TRUE(upstream_->jobs.empty());
}

TEST_F(AppServerTest, PushesWithinTheWindowAreCoalescedAndHeldOneSentAtItsEnd) {
  AppServerOptions options;
  // Long enough that a loaded CI machine cannot outlast it between two
  // handle() calls, which would send the later push instead of holding it.
  options.rate_limit.window = 1s;
  start(options);
  auto first_sent = std::chrono::steady_clock::now();
  server_->handle(publish("prosody-default-chatstate-offline.xml", kTokenA, "1"));
  run();
  server_->handle(publish("prosody-default-chatstate-offline.xml", kTokenA, "2"));
  server_->handle(publish("prosody-default-body.xml", kTokenA, "3"));  // important
  server_->handle(publish("prosody-default-chatstate-offline.xml", kTokenA, "4"));
  // All four answered with a result at once; only the first went out.
  ASSERT_EQ(sender_.sent.size(), 4u);
  for (const auto& reply : sender_.sent) EXPECT_EQ(reply.attr_or("type"), "result");
  EXPECT_EQ(upstream_->jobs.size(), 1u);
  EXPECT_EQ(server_->counters().held, 1u);
  EXPECT_EQ(server_->counters().absorbed, 2u);

  ASSERT_TRUE(run_until([&] { return upstream_->jobs.size() == 2; }, 5s));
  EXPECT_GE(std::chrono::steady_clock::now() - first_sent, 1s);
  EXPECT_EQ(upstream_->jobs[1].token, kTokenA);
  EXPECT_TRUE(upstream_->jobs[1].important);  // an absorbed push was important
  run_until([] { return false; }, 50ms);
  EXPECT_EQ(upstream_->jobs.size(), 2u);
  EXPECT_EQ(sender_.sent.size(), 4u);  // the held send answers nobody again

  // The held send opened a new window: the next push is held again.
  server_->handle(publish("prosody-default-body.xml", kTokenA, "5"));
  EXPECT_EQ(upstream_->jobs.size(), 2u);
  EXPECT_EQ(server_->counters().held, 2u);
}

TEST_F(AppServerTest, ShutdownSendsHeldPushesAtOnceAndExactlyOnce) {
  AppServerOptions options;
  options.rate_limit.window = 10s;  // far beyond the test: only the shutdown sends it
  start(options);
  server_->handle(publish("prosody-default-chatstate-offline.xml", kTokenA, "1"));
  run();
  server_->handle(publish("prosody-default-body.xml", kTokenA, "2"));  // held
  server_->handle(publish("prosody-default-body.xml", kTokenB, "3"));  // sent at once
  run();
  ASSERT_EQ(sender_.sent.size(), 3u);
  for (const auto& reply : sender_.sent) EXPECT_EQ(reply.attr_or("type"), "result");
  ASSERT_EQ(upstream_->jobs.size(), 2u);
  ASSERT_EQ(server_->held_count(), 1u);

  EXPECT_EQ(server_->send_held_now(), 1u);
  EXPECT_EQ(server_->held_count(), 0u);
  ASSERT_EQ(upstream_->jobs.size(), 3u);
  EXPECT_EQ(upstream_->jobs[2].token, kTokenA);
  EXPECT_TRUE(upstream_->jobs[2].important);
  EXPECT_EQ(server_->held_sending(), 1u);  // the shutdown waits for this
  ASSERT_TRUE(run_until([&] { return server_->held_sending() == 0; }));
  EXPECT_EQ(server_->counters().delivered, 3u);

  // Its window timer is gone with it: nothing goes out a second time.
  run_until([] { return false; }, 100ms);
  EXPECT_EQ(upstream_->jobs.size(), 3u);
  EXPECT_EQ(server_->send_held_now(), 0u);

  // A push held while shutting down goes at once, not at its window's end.
  server_->handle(publish("prosody-default-body.xml", kTokenA, "4"));
  ASSERT_EQ(sender_.sent.size(), 4u);
  EXPECT_EQ(sender_.sent[3].attr_or("type"), "result");
  ASSERT_TRUE(run_until([&] { return upstream_->jobs.size() == 4; }, 1000ms));
  run_until([] { return false; }, 100ms);
  EXPECT_EQ(upstream_->jobs.size(), 4u);
  EXPECT_EQ(sender_.sent.size(), 4u);  // held sends answer nobody again
}

TEST_F(AppServerTest, HeldPushOutcomeBuriesDeadToken) {
  AppServerOptions options;
  options.rate_limit.window = 300ms;
  start(options);
  server_->handle(publish("ejabberd-body.xml", kTokenA, "1"));
  run();
  server_->handle(publish("ejabberd-body.xml", kTokenA, "2"));
  upstream_->outcomes[kTokenA] = status(UpstreamStatus::token_dead, 410, "Unregistered");
  ASSERT_TRUE(run_until([&] { return tombstones_->size() == 1; }));
  EXPECT_EQ(upstream_->jobs.size(), 2u);
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[1].attr_or("type"), "result");
  EXPECT_TRUE(tombstones_->is_dead(kTokenA, std::chrono::system_clock::now()));
}

TEST_F(AppServerTest, BadDeviceTokenWithoutRecentSuccessIsTransient) {
  start();
  upstream_->outcomes[kTokenA] = status(UpstreamStatus::token_invalid, 400, "BadDeviceToken");
  server_->handle(publish("ejabberd-body.xml", kTokenA));
  run();
  ASSERT_EQ(sender_.sent.size(), 1u);
  expect_error(sender_.sent[0], "wait", "internal-server-error");
  EXPECT_EQ(tombstones_->size(), 0u);
  EXPECT_EQ(stored(), 0u);
}

TEST_F(AppServerTest, BadDeviceTokenAfterRecentSuccessBuries) {
  start();
  server_->handle(publish("ejabberd-body.xml", kTokenB, "ok"));  // delivered
  run();
  upstream_->outcomes[kTokenA] = status(UpstreamStatus::token_invalid, 400, "BadDeviceToken");
  server_->handle(publish("ejabberd-body.xml", kTokenA, "bad"));
  run();
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[0].attr_or("type"), "result");
  expect_error(sender_.sent[1], "cancel", "item-not-found");
  EXPECT_TRUE(tombstones_->is_dead(kTokenA, std::chrono::system_clock::now()));
  EXPECT_EQ(stored(), 1u);

  // Another module's successes do not count for this one.
  const std::string token_c(64, 'c');
  other_->outcomes[token_c] = status(UpstreamStatus::token_invalid, 400, "BadDeviceToken");
  xml::Element iq = publish("ejabberd-body.xml", token_c, "other");
  set_module(iq, "other-ios");
  server_->handle(iq);
  run();
  ASSERT_EQ(sender_.sent.size(), 3u);
  expect_error(sender_.sent[2], "wait", "internal-server-error");
}

TEST_F(AppServerTest, TransientUpstreamOutcomesAreWait) {
  start();
  const std::pair<UpstreamStatus, const char*> cases[] = {
      {UpstreamStatus::throttled, "resource-constraint"},
      {UpstreamStatus::rejected, "internal-server-error"},
      {UpstreamStatus::unavailable, "internal-server-error"},
      {UpstreamStatus::unknown, "internal-server-error"},
  };
  int i = 0;
  for (const auto& [s, condition] : cases) {
    std::string token(64, static_cast<char>('0' + i++));
    upstream_->outcomes[token] = status(s, 0, "x");
    server_->handle(publish("ejabberd-body.xml", token));
    run();
    ASSERT_EQ(sender_.sent.size(), static_cast<size_t>(i));
    expect_error(sender_.sent.back(), "wait", condition);
  }
  EXPECT_EQ(tombstones_->size(), 0u);
  EXPECT_EQ(server_->counters().upstream_error, 4u);
}

TEST_F(AppServerTest, TooManyRequestsPausesThatTokenOnly) {
  AppServerOptions options;
  options.rate_limit.window = 0s;  // every publish would go out at once
  start(options);
  upstream_->outcomes[kTokenA] = status(UpstreamStatus::throttled, 429, "TooManyRequests");
  server_->handle(publish("ejabberd-body.xml", kTokenA, "p1"));
  run();
  server_->handle(publish("ejabberd-body.xml", kTokenA, "p2"));
  server_->handle(publish("ejabberd-body.xml", kTokenB, "p3"));
  run();
  ASSERT_EQ(sender_.sent.size(), 3u);
  expect_error(sender_.sent[0], "wait", "resource-constraint");
  // The second push to the throttled token never reaches Apple.
  expect_error(sender_.sent[1], "wait", "resource-constraint");
  EXPECT_EQ(sender_.sent[2].attr_or("type"), "result");
  ASSERT_EQ(upstream_->jobs.size(), 2u);
  EXPECT_EQ(upstream_->jobs[1].token, kTokenB);
  EXPECT_EQ(server_->counters().backing_off, 1u);
  EXPECT_EQ(tombstones_->size(), 0u);
}

TEST_F(AppServerTest, RepeatedServerErrorsPauseTheModuleUntilItRecovers) {
  AppServerOptions options;
  options.rate_limit.window = 0s;
  options.backoff.failures_before_pause = 2;
  options.backoff.first_module_pause = 200ms;
  start(options);
  for (int i = 0; i < 2; ++i) {
    std::string token(64, static_cast<char>('0' + i));
    upstream_->outcomes[token] = status(UpstreamStatus::unavailable, 500, "InternalServerError");
    server_->handle(publish("ejabberd-body.xml", token));
    run();
  }
  // Paused: answered at once, the failing service is not called.
  server_->handle(publish("ejabberd-body.xml", kTokenA));
  server_->handle(publish("ejabberd-body.xml", kTokenB));
  run();
  ASSERT_EQ(sender_.sent.size(), 4u);
  expect_error(sender_.sent[2], "wait", "resource-constraint");
  expect_error(sender_.sent[3], "wait", "resource-constraint");
  EXPECT_EQ(upstream_->jobs.size(), 2u);
  // After the pause, pushes are tried again and a delivery ends the back-off.
  auto give_up = std::chrono::steady_clock::now() + 3s;
  while (sender_.sent.back().attr_or("type") != "result" &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(10ms);
    server_->handle(publish("ejabberd-body.xml", kTokenA));
    run();
  }
  EXPECT_EQ(sender_.sent.back().attr_or("type"), "result");
  EXPECT_EQ(upstream_->jobs.size(), 3u);
}

TEST_F(AppServerTest, SlowUpstreamIsAnsweredWaitOnceBeforeTheDeadline) {
  AppServerOptions options;
  options.reply_timeout = 50ms;
  start(options);
  upstream_->answer = false;
  server_->handle(publish("ejabberd-body.xml", kTokenA));
  ASSERT_TRUE(run_until([&] { return !sender_.sent.empty(); }));
  expect_error(sender_.sent[0], "wait", "internal-server-error");
  // The late outcome still buries, but answers nobody a second time.
  ASSERT_EQ(upstream_->held_callbacks.size(), 1u);
  upstream_->held_callbacks[0](status(UpstreamStatus::token_dead, 410, "Unregistered"));
  run();
  EXPECT_EQ(sender_.sent.size(), 1u);
  EXPECT_TRUE(tombstones_->is_dead(kTokenA, std::chrono::system_clock::now()));
  EXPECT_EQ(server_->counters().timed_out, 1u);
}

TEST_F(AppServerTest, CallbackAfterServerIsGoneDoesNothing) {
  start();
  upstream_->answer = false;
  server_->handle(publish("ejabberd-body.xml", kTokenA));
  server_.reset();
  upstream_->held_callbacks.at(0)(status(UpstreamStatus::delivered, 200, ""));
  run();
  EXPECT_TRUE(sender_.sent.empty());
}

TEST_F(AppServerTest, LogsCarryDomainAndFingerprintOnly) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_level(spdlog::level::info);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  start();
  xml::Element iq = publish("prosody-with-body-body.xml", kTokenA);
  iq.set_attr("from", "alice7@user.test/phone");  // some servers send a JID
  server_->handle(iq);
  upstream_->outcomes[kTokenB] = status(UpstreamStatus::token_dead, 410, "Unregistered");
  server_->handle(publish("ejabberd-with-body-body.xml", kTokenB));
  server_->handle(iq_get("ping", "urn:xmpp:ping", "push.test"));
  run();
  spdlog::set_default_logger(previous);

  std::string log = out.str();
  EXPECT_NE(log.find("user.test"), std::string::npos) << log;
  EXPECT_NE(log.find(log::fingerprint(kTokenA)), std::string::npos) << log;
  EXPECT_NE(log.find("example-ios"), std::string::npos) << log;
  for (const char* secret : {"alice", "bob", "phone", "desktop", "Hi Alice", "see you"})
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in: " << log;
  EXPECT_EQ(log.find(kTokenA), std::string::npos);
  EXPECT_EQ(log.find(kTokenB), std::string::npos);
}

// A v1 publish through a real registrar and store: the registration gives
// module and token; an unknown node and a wrong secret are refused for good.
TEST_F(AppServerTest, V1PublishGoesToTheRegisteredToken) {
  store::RegistrationStore registrations(*db_);
  v1::Registrar registrar(io_.get_executor(), registrations,
                          {{"example-ios", UpstreamKind::apns, true}});
  start({}, /*with_default=*/true);
  server_->set_v1(&registrar);
  std::optional<v1::Registered> reg;
  registrar.register_push("apns", "dev-1", kTokenA, [&](v1::Answer a, v1::Registered r) {
    if (a == v1::Answer::ok) reg = r;
  });
  ASSERT_TRUE(run_until([&] { return reg.has_value(); }));

  server_->handle(v1_publish("dev-1", reg->secret, "good"));
  server_->handle(v1_publish("dev-1", "wrong", "wrong"));
  server_->handle(v1_publish("dev-2", reg->secret, "unknown"));
  ASSERT_TRUE(run_until([&] { return sender_.sent.size() == 3; }));
  std::map<std::string, const xml::Element*> by_id;
  for (const auto& r : sender_.sent) by_id[std::string(r.attr_or("id"))] = &r;
  EXPECT_EQ(by_id.at("good")->attr_or("type"), "result");
  expect_error(*by_id.at("wrong"), "cancel", "forbidden");
  expect_error(*by_id.at("unknown"), "cancel", "item-not-found");
  ASSERT_EQ(upstream_->jobs.size(), 1u);
  EXPECT_EQ(upstream_->jobs[0].token, kTokenA);
  EXPECT_EQ(registrar.pending_outcomes(), 1u) << "the delivery is recorded for the flush";
  server_.reset();
}

// PostgreSQL frozen (SIGSTOP) under the app server: v1 publishes, which need
// the store, are answered `wait` within its answer bound; v2 publishes, which
// do not, keep being answered at once meanwhile. After the thaw v1 works again.
TEST(AppServerStoreOutage, AFrozenStoreDelaysOnlyWhatNeedsIt) {
  store::testing::PostgresTestServer pg;
  HERALD_NEED_POSTGRES(pg);
  store::DatabaseOptions o = store::testing::quick_postgres(pg);
  auto db = store::Database::open(o, store::push_migrations());
  store::TombstoneStore tombstone_store(*db);
  store::RegistrationStore registrations(*db);
  asio::io_context io;
  Tombstones tombstones(io.get_executor(), tombstone_store);
  v1::Registrar registrar(io.get_executor(), registrations, {{"example-ios", UpstreamKind::apns, true}});
  auto upstream = std::make_shared<FakeUpstream>(io);
  CapturingSender sender;
  AppServerOptions options;
  options.rate_limit.window = std::chrono::seconds(0);
  AppServer server(io, "push.test", sender, {{"example-ios", UpstreamKind::apns, true, upstream}},
                   tombstones, options);
  server.set_v1(&registrar);
  auto run_until = [&](auto done, std::chrono::milliseconds limit) {
    return store::testing::run_until(io, done, limit);
  };
  std::optional<v1::Registered> reg;
  registrar.register_push("apns", "dev-1", kTokenA, [&](v1::Answer a, v1::Registered r) {
    if (a == v1::Answer::ok) reg = r;
  });
  ASSERT_TRUE(run_until([&] { return reg.has_value(); }, 10s));

  pg.freeze();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i)
    server.handle(AppServerTest::v1_publish("dev-1", reg->secret, "v1-" + std::to_string(i)));
  // v2 publishes meanwhile: each answered before the next is sent.
  std::chrono::steady_clock::duration slowest_v2{};
  for (int i = 0; i < 20; ++i) {
    std::string token(64, 'c');
    token.replace(60, 4, std::to_string(1000 + i));
    std::string id = "v2-" + std::to_string(i);
    auto before = std::chrono::steady_clock::now();
    server.handle(AppServerTest::publish("ejabberd-body.xml", token, id));
    ASSERT_TRUE(run_until([&] {
      for (const auto& r : sender.sent)
        if (r.attr_or("id") == id) return true;
      return false;
    }, 2s)) << id;
    slowest_v2 = std::max(slowest_v2, std::chrono::steady_clock::now() - before);
  }
  EXPECT_LT(slowest_v2, 100ms) << "a v2 publish waited for the frozen store";
  ASSERT_TRUE(run_until([&] { return sender.sent.size() == 25; }, 10s));
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LE(took, o.answer_timeout() + 200ms);
  for (const auto& r : sender.sent) {
    std::string id(r.attr_or("id"));
    if (id.starts_with("v2-")) {
      EXPECT_EQ(r.attr_or("type"), "result") << id;
    } else {
      AppServerTest::expect_error(r, "wait", "internal-server-error");
    }
  }
  pg.thaw();
  // Once PostgreSQL answers again, v1 publishes are delivered.
  bool delivered = false;
  auto end = std::chrono::steady_clock::now() + 15s;
  for (int i = 0; !delivered && std::chrono::steady_clock::now() < end; ++i) {
    sender.sent.clear();
    server.handle(AppServerTest::v1_publish("dev-1", reg->secret, "after-" + std::to_string(i)));
    run_until([&] { return !sender.sent.empty(); }, 6s);
    delivered = !sender.sent.empty() && sender.sent[0].attr_or("type") == "result";
    if (!delivered) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(delivered);
}

}  // namespace
}  // namespace herald::push
