// The observability endpoints without sockets: the router answers as the
// HTTP listener would, upstreams are fakes whose answers the test chooses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "apps/herald/status/iq_timer.h"
#include "apps/herald/status/minute_ring.h"
#include "apps/herald/status/observability.h"

namespace herald::app::status {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FakeUpstream : public push::Upstream {
 public:
  void send(const push::PushJob&, std::function<void(push::UpstreamResult)> done) override {
    pending.push_back(std::move(done));
  }
  bool token_plausible(const std::string&) const override { return true; }
  void answer(push::UpstreamStatus status, int http, std::string reason) {
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    done({status, http, std::move(reason), std::nullopt});
  }
  std::vector<std::function<void(push::UpstreamResult)>> pending;
};

http::Response get(const Observability& o, const std::string& path, std::string accept = "") {
  http::Request r;
  r.method = "GET";
  r.target = r.path = path;
  if (!accept.empty()) r.headers["accept"] = accept;
  return o.router().handle(r);
}

TEST(MinuteRing, SixtyMinutesOldestFirstAndReused) {
  MinuteRing ring;
  auto t0 = std::chrono::system_clock::time_point(std::chrono::minutes(1000000));
  ring.push_sent(t0, true, "none");
  ring.push_sent(t0 + std::chrono::seconds(30), false, "Unregistered");
  ring.iq_latency(t0, 0.020);
  ring.iq_latency(t0, 0.040);
  auto j = ring.to_json(t0 + std::chrono::minutes(2));
  ASSERT_EQ(j["minutes"].size(), 60u);
  const auto& m = j["minutes"][57];
  EXPECT_EQ(m["t"], 1000000 * 60);
  EXPECT_EQ(m["pushes"], 2);
  EXPECT_EQ(m["delivered"], 1);
  EXPECT_EQ(m["errors"]["Unregistered"], 1);
  EXPECT_DOUBLE_EQ(m["iq_ms_avg"].get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(m["iq_ms_max"].get<double>(), 40.0);
  EXPECT_EQ(j["minutes"][59]["pushes"], 0);
  // An hour later the bucket is reused and the old minute is gone.
  ring.push_sent(t0 + std::chrono::minutes(60), true, "none");
  auto later = ring.to_json(t0 + std::chrono::minutes(60));
  EXPECT_EQ(later["minutes"][59]["pushes"], 1);
  for (const auto& e : later["minutes"]) EXPECT_TRUE(e["errors"].empty());
}

TEST(MeteredUpstream, ReasonLabelsComeFromAFixedList) {
  EXPECT_EQ(reason_label({push::UpstreamStatus::token_dead, 410, "Unregistered", {}}),
            "Unregistered");
  EXPECT_EQ(reason_label({push::UpstreamStatus::rejected, 404, "UNREGISTERED", {}}), "UNREGISTERED");
  EXPECT_EQ(reason_label({push::UpstreamStatus::unavailable, 0, "connect backoff", {}}),
            "connection");
  EXPECT_EQ(reason_label({push::UpstreamStatus::rejected, 400, "user@example.org", {}}), "other");
  EXPECT_EQ(reason_label({push::UpstreamStatus::delivered, 200, "", {}}), "none");
}

TEST(Observability, PushesCountedByModuleResultReason) {
  asio::io_context io;
  Observability o(io, {});
  auto fake = std::make_shared<FakeUpstream>();
  auto up = o.wrap_upstream(fake, "ios", "apns");
  for (int i = 0; i < 3; ++i) up->send({"t", false}, [](push::UpstreamResult) {});
  fake->answer(push::UpstreamStatus::delivered, 200, "");
  fake->answer(push::UpstreamStatus::delivered, 200, "");
  fake->answer(push::UpstreamStatus::token_dead, 410, "Unregistered");
  std::string text = get(o, "/metrics").body;
  EXPECT_THAT(text,
              HasSubstr("herald_pushes_total{module=\"ios\",result=\"delivered\",reason=\"none\"} 2"));
  EXPECT_THAT(text, HasSubstr("herald_pushes_total{module=\"ios\",result=\"token_dead\","
                              "reason=\"Unregistered\"} 1"));
  EXPECT_THAT(text, HasSubstr("herald_upstream_request_seconds_count{module=\"ios\"} 3"));
  EXPECT_THAT(text, HasSubstr("herald_upstream_ready{module=\"ios\"} 1"));
  auto om = get(o, "/metrics", "application/openmetrics-text; version=1.0.0");
  EXPECT_THAT(om.content_type, HasSubstr("openmetrics"));
  EXPECT_TRUE(om.body.ends_with("# EOF\n"));
}

TEST(Observability, ReadinessNamesTheModuleThatIsNotReady) {
  asio::io_context io;
  Observability o(io, {});
  auto ios = std::make_shared<FakeUpstream>();
  auto android = std::make_shared<FakeUpstream>();
  auto up_ios = o.wrap_upstream(ios, "ios", "apns");
  auto up_android = o.wrap_upstream(android, "android", "fcm");
  EXPECT_EQ(get(o, "/readyz").status, 200);  // no push yet: ready

  up_ios->send({"t", false}, [](push::UpstreamResult) {});
  ios->answer(push::UpstreamStatus::rejected, 403, "InvalidProviderToken");
  up_android->send({"t", false}, [](push::UpstreamResult) {});
  android->answer(push::UpstreamStatus::delivered, 200, "");
  auto r = get(o, "/readyz");
  EXPECT_EQ(r.status, 503);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["not_ready"], nlohmann::json::array({"ios"}));
  EXPECT_EQ(j["modules"][0]["state"], "refused");
  EXPECT_EQ(j["modules"][0]["reason"], "InvalidProviderToken");
  EXPECT_EQ(j["modules"][1]["ready"], true);

  // Unreachable is not ready either; a later delivery makes it ready again.
  up_ios->send({"t", false}, [](push::UpstreamResult) {});
  ios->answer(push::UpstreamStatus::unavailable, 0, "connection refused");
  EXPECT_EQ(nlohmann::json::parse(get(o, "/readyz").body)["modules"][0]["state"], "unreachable");
  up_ios->send({"t", false}, [](push::UpstreamResult) {});
  ios->answer(push::UpstreamStatus::delivered, 200, "");
  EXPECT_EQ(get(o, "/readyz").status, 200);
  EXPECT_EQ(get(o, "/healthz").status, 200);
}

TEST(Observability, OnePerToken503LeavesTheModuleReady) {
  asio::io_context io;
  Observability o(io, {});
  auto ios = std::make_shared<FakeUpstream>();
  auto up = o.wrap_upstream(ios, "ios", "apns");
  auto answer = [&](push::UpstreamStatus status, int http, const char* reason) {
    up->send({"t", false}, [](push::UpstreamResult) {});
    ios->answer(status, http, reason);
  };
  // Apple answers 503 for one device now and then: still ready.
  answer(push::UpstreamStatus::unavailable, 503, "ServiceUnavailable");
  EXPECT_EQ(get(o, "/readyz").status, 200);
  answer(push::UpstreamStatus::unavailable, 503, "ServiceUnavailable");
  EXPECT_EQ(get(o, "/readyz").status, 200);
  // The third in a row is where the module back-off pauses the module.
  answer(push::UpstreamStatus::unavailable, 503, "ServiceUnavailable");
  auto r = get(o, "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(nlohmann::json::parse(r.body)["modules"][0]["reason"], "ServiceUnavailable");
  // A delivery ends it, and the reason goes with it.
  answer(push::UpstreamStatus::delivered, 200, "");
  EXPECT_EQ(get(o, "/readyz").status, 200);
  auto status = nlohmann::json::parse(get(o, "/status.json").body);
  EXPECT_EQ(status["upstreams"][0]["state"], "ok");
  EXPECT_FALSE(status["upstreams"][0].contains("reason")) << status["upstreams"][0].dump();
}

TEST(Observability, StaleReasonIsDroppedOnceReadyAgain) {
  asio::io_context io;
  Observability o(io, {});
  auto ios = std::make_shared<FakeUpstream>();
  auto up = o.wrap_upstream(ios, "ios", "apns");
  up->send({"t", false}, [](push::UpstreamResult) {});
  ios->answer(push::UpstreamStatus::rejected, 403, "InvalidProviderToken");
  EXPECT_EQ(nlohmann::json::parse(get(o, "/status.json").body)["upstreams"][0]["reason"],
            "InvalidProviderToken");
  up->send({"t", false}, [](push::UpstreamResult) {});
  ios->answer(push::UpstreamStatus::token_dead, 410, "Unregistered");
  auto j = nlohmann::json::parse(get(o, "/status.json").body);
  EXPECT_EQ(j["upstreams"][0]["ready"], true);
  EXPECT_FALSE(j["upstreams"][0].contains("reason")) << j.dump();
}

TEST(Observability, StatusNamesTheServiceAndShowsTotalsAndTheRatio) {
  asio::io_context io;
  ObservabilityOptions options;
  options.domain = "push.example.org";
  options.region = "eu-1";
  options.version = "9.8.7";
  Observability o(io, options);
  auto ios = std::make_shared<FakeUpstream>();
  auto up = o.wrap_upstream(ios, "ios", "apns");
  auto j = nlohmann::json::parse(get(o, "/status.json").body);
  EXPECT_EQ(j["service"]["domain"], "push.example.org");
  EXPECT_EQ(j["service"]["region"], "eu-1");
  EXPECT_EQ(j["service"]["version"], "9.8.7");
  EXPECT_TRUE(j["delivery_ratio"].is_null()) << "no answer yet, no ratio";
  for (int i = 0; i < 5; ++i) up->send({"t", false}, [](push::UpstreamResult) {});
  for (int i = 0; i < 3; ++i) ios->answer(push::UpstreamStatus::delivered, 200, "");
  ios->answer(push::UpstreamStatus::token_dead, 410, "Unregistered");
  j = nlohmann::json::parse(get(o, "/status.json").body);
  EXPECT_EQ(j["totals"]["sent"], 5);
  EXPECT_EQ(j["totals"]["delivered"], 3);
  EXPECT_EQ(j["totals"]["failed"], 1);
  EXPECT_EQ(j["totals"]["in_flight"], 1);
  EXPECT_DOUBLE_EQ(j["delivery_ratio"].get<double>(), 0.75);
}

TEST(Observability, JsonEndpointsSendEachHeaderOnce) {
  asio::io_context io;
  Observability o(io, {});
  for (const char* path : {"/readyz", "/status.json"}) {
    std::string wire = http::serialize(get(o, path), false);
    size_t n = 0;
    for (auto at = wire.find("Cache-Control:"); at != std::string::npos;
         at = wire.find("Cache-Control:", at + 1))
      ++n;
    EXPECT_EQ(n, 1u) << path << ": " << wire.substr(0, wire.find("\r\n\r\n"));
  }
}

TEST(Observability, StatusPageIsSelfContained) {
  asio::io_context io;
  Observability o(io, {});
  auto page = get(o, "/status");
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.content_type, HasSubstr("text/html"));
  EXPECT_THAT(page.body, HasSubstr("status.json"));
  // No external assets: no src/href attributes and no URL other than SVG's namespace.
  EXPECT_THAT(page.body, Not(HasSubstr("src=")));
  EXPECT_THAT(page.body, Not(HasSubstr("href=")));
  EXPECT_THAT(page.body, Not(HasSubstr("https://")));
  std::string without_ns = page.body;
  without_ns.erase(without_ns.find("http://www.w3.org/2000/svg"), 26);
  EXPECT_THAT(without_ns, Not(HasSubstr("http://")));

  auto json = nlohmann::json::parse(get(o, "/status.json").body);
  EXPECT_EQ(json["minutes"].size(), 60u);
  EXPECT_EQ(json["s2s"]["peer_domains"], 0);
}

TEST(IqTimer, TimesPublishUntilItsReply) {
  std::vector<double> seen;
  IqTimer timer([&](double s) { seen.push_back(s); });
  struct Sink : xmpp::StanzaHandler, xmpp::StanzaSender {
    void handle(xml::Element) override { ++handled; }
    void send(xml::Element) override { ++sent; }
    int handled = 0, sent = 0;
  } sink;
  timer.set_handler(&sink);
  timer.set_sender(&sink);

  xml::Element iq("iq", "jabber:server");
  iq.set_attr("type", "set").set_attr("id", "p1").set_attr("from", "user.example");
  iq.add_child("pubsub", "http://jabber.org/protocol/pubsub")
      .add_child("publish", "http://jabber.org/protocol/pubsub")
      .set_attr("node", "abc");
  timer.handle(iq);
  EXPECT_EQ(timer.pending(), 1u);

  xml::Element other("iq", "jabber:server");
  other.set_attr("type", "result").set_attr("id", "p2").set_attr("to", "user.example");
  timer.send(other);
  EXPECT_TRUE(seen.empty());

  xml::Element reply("iq", "jabber:server");
  reply.set_attr("type", "error").set_attr("id", "p1").set_attr("to", "user.example");
  timer.send(reply);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_GE(seen[0], 0.0);
  EXPECT_EQ(timer.pending(), 0u);
  EXPECT_EQ(sink.handled, 1);
  EXPECT_EQ(sink.sent, 2);
}

}  // namespace
}  // namespace herald::app::status
