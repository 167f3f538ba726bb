#include "apns-sim/simulator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "apns-sim/recorder.h"
#include "test_jwt.h"

namespace herald::apns_sim {
namespace {

constexpr int64_t kNowMs = 1'750'000'000'000;
const std::string kToken(64, 'a');
const std::string kDeadToken(64, 'd');

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    verifier_ = JwtVerifier::create({key_.public_pem(), "KEYID12345", "TEAM123456"}, &error);
    ASSERT_NE(verifier_, nullptr) << error;
    auth_ = std::make_unique<ProviderAuth>(*verifier_, true);
    config_.topics = {"com.example.app"};
    // One token for the fixture: re-signing would count as a token update.
    bearer_ = key_.bearer("KEYID12345", "TEAM123456", kNowMs / 1000);
  }
  Request request(const std::string& token = kToken) {
    Request r;
    r.method = "POST";
    r.path = "/3/device/" + token;
    r.headers = {{"apns-topic", "com.example.app"}, {"authorization", bearer_}};
    r.body = R"({"aps":{"alert":"hi"}})";
    r.body_size = r.body.size();
    return r;
  }

  testing::TestKey key_;
  std::unique_ptr<JwtVerifier> verifier_;
  std::unique_ptr<ProviderAuth> auth_;
  ValidatorConfig config_;
  std::string bearer_;
};

TEST_F(SimulatorTest, SuccessEchoesApnsIdOrMakesOne) {
  Simulator simulator(config_, nullptr, nullptr);
  Request r = request();
  Outcome generated = simulator.handle(r, *auth_, kNowMs);
  EXPECT_EQ(generated.verdict.status, 200);
  EXPECT_TRUE(is_uuid(generated.apns_id)) << generated.apns_id;
  EXPECT_EQ(generated.apns_id[14], '4');  // version 4
  EXPECT_EQ(generated.token, kToken);
  EXPECT_NE(simulator.handle(r, *auth_, kNowMs).apns_id, generated.apns_id);

  r.headers.emplace_back("apns-id", "123e4567-e89b-12d3-a456-4266554400a0");
  EXPECT_EQ(simulator.handle(r, *auth_, kNowMs).apns_id, "123e4567-e89b-12d3-a456-4266554400a0");
}

TEST_F(SimulatorTest, RouteErrorsComeBeforeAuthentication) {
  Simulator simulator(config_, nullptr, nullptr);
  Request r = request("xyz");
  r.headers.pop_back();  // no authorization either
  EXPECT_EQ(simulator.handle(r, *auth_, kNowMs).verdict.reason, "BadDeviceToken");
  r.path = "/3/device/" + kToken;
  EXPECT_EQ(simulator.handle(r, *auth_, kNowMs).verdict.reason, "MissingProviderToken");
}

TEST_F(SimulatorTest, AuthenticationComesBeforeNotificationChecks) {
  Simulator simulator(config_, nullptr, nullptr);
  Request r = request();
  r.headers[0].second = "com.other.app";
  r.headers[1].second = "bearer nonsense";
  EXPECT_EQ(simulator.handle(r, *auth_, kNowMs).verdict.reason, "InvalidProviderToken");
}

TEST_F(SimulatorTest, DeadTokenGets410WithTimestamp) {
  std::string path =
      ::testing::TempDir() + "apns_sim_simulator_dead_" + std::to_string(::getpid()) + ".txt";
  std::ofstream(path) << kDeadToken << " 1700000000123\n";
  DeadTokens dead(path);
  Simulator simulator(config_, &dead, nullptr);
  Outcome outcome = simulator.handle(request(kDeadToken), *auth_, kNowMs);
  EXPECT_EQ(outcome.verdict.status, 410);
  EXPECT_EQ(outcome.verdict.reason, "Unregistered");
  EXPECT_EQ(outcome.verdict.timestamp_ms, 1700000000123);
  EXPECT_EQ(simulator.handle(request(), *auth_, kNowMs).verdict.status, 200);
  std::remove(path.c_str());
}

TEST_F(SimulatorTest, InjectedFaultsPerTokenAndRate) {
  FaultInjector faults(7);
  faults.add_token_fault(kDeadToken, FaultKind::kUnavailable);
  Simulator simulator(config_, nullptr, &faults);
  Outcome outcome = simulator.handle(request(kDeadToken), *auth_, kNowMs);
  EXPECT_EQ(outcome.verdict.status, 503);
  EXPECT_EQ(outcome.verdict.reason, "ServiceUnavailable");
  EXPECT_EQ(simulator.handle(request(), *auth_, kNowMs).verdict.status, 200);

  // Invalid requests keep their own answer: faults hit only valid ones.
  Request bad = request(kDeadToken);
  bad.body_size = 0;
  bad.body.clear();
  EXPECT_EQ(simulator.handle(bad, *auth_, kNowMs).verdict.reason, "PayloadEmpty");

  FaultInjector half(7);
  half.add_rate(FaultKind::kTooManyRequests, 0.5);
  Simulator flaky(config_, nullptr, &half);
  int throttled = 0;
  for (int i = 0; i < 1000; ++i) {
    throttled += flaky.handle(request(), *auth_, kNowMs).verdict.status == 429;
  }
  EXPECT_GT(throttled, 400);
  EXPECT_LT(throttled, 600);
}

TEST_F(SimulatorTest, TransportFaultHasNoHttpAnswer) {
  FaultInjector faults(1);
  faults.add_token_fault(kToken, FaultKind::kGoaway);
  Simulator simulator(config_, nullptr, &faults);
  Outcome outcome = simulator.handle(request(), *auth_, kNowMs);
  EXPECT_EQ(outcome.transport_fault, FaultKind::kGoaway);
  EXPECT_EQ(outcome.verdict.status, 0);
}

TEST(FaultKindTest, Parse) {
  EXPECT_EQ(parse_fault_kind("429"), FaultKind::kTooManyRequests);
  EXPECT_EQ(parse_fault_kind("reset"), FaultKind::kResetStream);
  EXPECT_EQ(parse_fault_kind("refuse"), FaultKind::kRefuseStream);
  EXPECT_EQ(parse_fault_kind("goaway"), FaultKind::kGoaway);
  EXPECT_FALSE(parse_fault_kind("404"));
}

TEST_F(SimulatorTest, RecordLineKeepsWhatATestChecks) {
  Simulator simulator(config_, nullptr, nullptr);
  Request r = request();
  r.body = std::string("{\"x\":\"\xff\"}");  // not UTF-8: must not throw
  r.body_size = r.body.size();
  Outcome outcome = simulator.handle(r, *auth_, kNowMs);
  auto line = nlohmann::json::parse(record_line(r, outcome, kNowMs, 3, 5));
  EXPECT_EQ(line["time_ms"], kNowMs);
  EXPECT_EQ(line["connection"], 3);
  EXPECT_EQ(line["stream"], 5);
  EXPECT_EQ(line["method"], "POST");
  EXPECT_EQ(line["token"], kToken);
  EXPECT_EQ(line["headers"]["authorization"], r.headers[1].second);
  EXPECT_EQ(line["status"], 400);
  EXPECT_EQ(line["reason"], "BadPayload");
  EXPECT_EQ(line["apns_id"], outcome.apns_id);
}

}  // namespace
}  // namespace herald::apns_sim
