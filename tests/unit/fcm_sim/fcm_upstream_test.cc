// FcmUpstream against fcm-sim's simulator on a real TLS HTTP/2 listener
// (sim-common) on 127.0.0.1: the OAuth2 exchange, the send, token refresh
// after expiry and after a 401, and the classification of error answers.
#include "push/fcm/fcm_upstream.h"

#include <gtest/gtest.h>

#include <optional>

#include "fcm-sim/assertion_verifier.h"
#include "fcm-sim/simulator.h"
#include "fcm_sim_support.h"
#include "sim-common/h2_server.h"

namespace herald::fcm_sim {
namespace {

using namespace std::chrono_literals;
using push::UpstreamResult;
using push::UpstreamStatus;

class FcmUpstreamTest : public ::testing::Test {
 protected:
  void start(std::chrono::seconds token_lifetime = 3600s, int retry_after = 0,
             std::string audience = "https://oauth2.googleapis.com/token") {
    std::string error;
    info_ = parse_service_account_info(testing::account_json(), &error);
    verifier_ = AssertionVerifier::create(info_, audience, &error);
    ASSERT_TRUE(verifier_) << error;
    SimConfig config;
    config.project_id = "sim-project";
    config.token_lifetime = token_lifetime;
    config.retry_after_s = retry_after;
    sim_ = std::make_unique<Simulator>(config, *verifier_, behaviours_, nullptr);
    sim::ServerOptions options;
    options.tls.cert_file = tls_.cert_file();
    options.tls.key_file = tls_.key_file();
    server_ = std::make_unique<sim::H2Server>(io_, options, sim_->handler_factory());
    ASSERT_TRUE(server_->start(&error)) << error;

    push::fcm::FcmSettings settings;
    settings.host = "127.0.0.1";
    settings.port = server_->port();
    settings.token_host = "127.0.0.1";
    settings.token_port = server_->port();
    settings.request_timeout = 5000ms;
    auto signer = std::make_shared<push::fcm::ServiceAccountSigner>(
        push::fcm::parse_service_account(testing::account_json()));
    upstream_ = std::make_unique<push::fcm::FcmUpstream>(io_, settings, signer, tls_.cert_file());
  }

  void TearDown() override {
    upstream_.reset();
    if (server_) server_->stop();
    io_.restart();
    io_.run_for(200ms);
  }

  UpstreamResult send(const std::string& token) {
    std::optional<UpstreamResult> result;
    upstream_->send({token, false}, [&](UpstreamResult r) { result = std::move(r); });
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!result && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(20ms);
    }
    EXPECT_TRUE(result) << "no answer within 10 s";
    return result.value_or(UpstreamResult{});
  }

  void idle(std::chrono::milliseconds d) {
    io_.restart();
    io_.run_for(d);
  }

  asio::io_context io_;
  testing::TlsFiles tls_;
  ServiceAccountInfo info_;
  std::unique_ptr<AssertionVerifier> verifier_;
  TokenBehaviours behaviours_;
  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<sim::H2Server> server_;
  std::unique_ptr<push::fcm::FcmUpstream> upstream_;
};

TEST_F(FcmUpstreamTest, DeliversAndReusesTheAccessToken) {
  start();
  UpstreamResult first = send("device-1:APA91b");
  EXPECT_EQ(first.status, UpstreamStatus::delivered);
  EXPECT_NE(first.upstream_id.find("/messages/"), std::string::npos) << first.upstream_id;
  EXPECT_EQ(send("device-2:APA91b").status, UpstreamStatus::delivered);
  EXPECT_EQ(sim_->token_grants(), 1u);
  EXPECT_EQ(sim_->delivered(), 2u);
  EXPECT_EQ(upstream_->token_fetches(), 1);
}

TEST_F(FcmUpstreamTest, RefreshesTheAccessTokenAfterItExpires) {
  start(1s);
  EXPECT_EQ(send("device-1").status, UpstreamStatus::delivered);
  idle(1100ms);  // the simulator's token is now expired
  EXPECT_EQ(send("device-1").status, UpstreamStatus::delivered);
  EXPECT_EQ(sim_->token_grants(), 2u);
  EXPECT_EQ(sim_->sends(), 2u);  // refreshed before sending: no 401 round trip
}

TEST_F(FcmUpstreamTest, A401RefreshesTheTokenAndResendsOnce) {
  start();
  EXPECT_EQ(send("device-1").status, UpstreamStatus::delivered);
  sim_->revoke_access_tokens();
  EXPECT_EQ(send("device-1").status, UpstreamStatus::delivered);
  EXPECT_EQ(sim_->token_grants(), 2u);
  EXPECT_EQ(sim_->sends(), 3u);  // ok, 401, ok
  EXPECT_EQ(sim_->delivered(), 2u);
}

TEST_F(FcmUpstreamTest, UnregisteredIsADeadToken) {
  start();
  behaviours_.set("gone-token", Behaviour::unregistered);
  UpstreamResult r = send("gone-token");
  EXPECT_EQ(r.status, UpstreamStatus::token_dead);
  EXPECT_EQ(r.http_status, 404);
  EXPECT_EQ(r.reason, "UNREGISTERED");
}

TEST_F(FcmUpstreamTest, ClassifiesErrorAnswers) {
  start();
  behaviours_.set("mismatch", Behaviour::sender_id_mismatch);
  behaviours_.set("invalid", Behaviour::invalid_argument);
  behaviours_.set("busy", Behaviour::unavailable);
  behaviours_.set("broken", Behaviour::internal);
  EXPECT_EQ(send("mismatch").status, UpstreamStatus::token_invalid);
  EXPECT_EQ(send("invalid").status, UpstreamStatus::token_invalid);
  EXPECT_EQ(send("busy").status, UpstreamStatus::unavailable);
  EXPECT_EQ(send("broken").status, UpstreamStatus::unavailable);
  EXPECT_EQ(send("fine").status, UpstreamStatus::delivered);  // no Retry-After: no pause
}

TEST_F(FcmUpstreamTest, QuotaExceededWithRetryAfterPausesTheModule) {
  start(3600s, /*retry_after=*/30);
  behaviours_.set("hot", Behaviour::quota_exceeded);
  UpstreamResult r = send("hot");
  EXPECT_EQ(r.status, UpstreamStatus::throttled);
  EXPECT_EQ(r.reason, "QUOTA_EXCEEDED");
  uint64_t sends = sim_->sends();
  EXPECT_EQ(send("other").status, UpstreamStatus::throttled);
  EXPECT_EQ(sim_->sends(), sends);  // answered without a request
}

TEST_F(FcmUpstreamTest, ARefusedAssertionIsUnavailableWithoutSending) {
  start(3600s, 0, "https://elsewhere.example/token");
  UpstreamResult r = send("device-1");
  EXPECT_EQ(r.status, UpstreamStatus::unavailable);
  EXPECT_NE(r.reason.find("invalid_grant"), std::string::npos);
  EXPECT_EQ(sim_->sends(), 0u);
}

TEST_F(FcmUpstreamTest, ImplausibleTokensAreRefusedLocally) {
  start();
  EXPECT_FALSE(upstream_->token_plausible("with space"));
  EXPECT_TRUE(upstream_->token_plausible("abc:DEF-123_x"));
  EXPECT_EQ(send("with space").status, UpstreamStatus::token_invalid);
  EXPECT_EQ(sim_->token_grants(), 0u);
}

}  // namespace
}  // namespace herald::fcm_sim
