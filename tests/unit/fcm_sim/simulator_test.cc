// fcm-sim's endpoints driven directly (no network): the token grant checks
// the assertion, the send endpoint checks bearer token, project, message
// shape, and answers per-token behaviours in Google's error shape.
#include "fcm-sim/simulator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "fcm-sim/assertion_verifier.h"
#include "fcm_sim_support.h"
#include "push/fcm/fcm_message.h"
#include "push/fcm/service_account.h"

namespace herald::fcm_sim {
namespace {

using nlohmann::json;

struct FcmSim : ::testing::Test {
  FcmSim() {
    std::string error;
    info = parse_service_account_info(testing::account_json(), &error);
    verifier = AssertionVerifier::create(info, info.token_uri, &error);
    config.project_id = "sim-project";
    config.token_lifetime = std::chrono::seconds(60);
    config.retry_after_s = 7;
    sim = std::make_unique<Simulator>(config, *verifier, behaviours, nullptr,
                                      [this] { return now_ms; });
  }

  std::string assertion(const std::string& account_text) {
    push::fcm::ServiceAccountSigner signer(push::fcm::parse_service_account(account_text));
    return signer.assertion(std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms)));
  }
  sim::H2Response grant(const std::string& jwt) {
    sim::H2Request r;
    r.method = "POST";
    r.path = "/token";
    r.body = push::fcm::token_request_body(jwt);
    return sim->handle(r);
  }
  std::string access_token() {
    auto r = grant(assertion(testing::account_json()));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["access_token"];
  }
  sim::H2Response send(const std::string& bearer, const std::string& body,
                       const std::string& project = "sim-project") {
    sim::H2Request r;
    r.method = "POST";
    r.path = push::fcm::fcm_send_path(project);
    r.headers = {{"authorization", "Bearer " + bearer}, {"content-type", "application/json"}};
    r.body = body;
    return sim->handle(r);
  }
  static std::string error_code(const sim::H2Response& r) {
    json j = json::parse(r.body);
    if (!j["error"].contains("details")) return j["error"]["status"];
    return j["error"]["details"][0].value("errorCode", "BadRequest");
  }

  int64_t now_ms = 1700000000000;
  ServiceAccountInfo info;
  std::unique_ptr<AssertionVerifier> verifier;
  TokenBehaviours behaviours;
  SimConfig config;
  std::unique_ptr<Simulator> sim;
};

TEST_F(FcmSim, GrantsAccessTokensForAValidAssertionOnly) {
  auto ok = grant(assertion(testing::account_json()));
  ASSERT_EQ(ok.status, 200);
  json j = json::parse(ok.body);
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_EQ(j["expires_in"], 60);
  EXPECT_FALSE(j["access_token"].get<std::string>().empty());

  // Another key, another issuer, another audience: all refused.
  EVP_PKEY* other = EVP_RSA_gen(2048);
  std::string other_pem = testing::key_pem(other);
  EVP_PKEY_free(other);
  for (const std::string& account :
       {testing::account_json(other_pem), testing::account_json(testing::rsa_pem(), "x@evil"),
        testing::account_json(testing::rsa_pem(), "push@sim-project.iam.gserviceaccount.com",
                              "https://evil.example/token")}) {
    auto r = grant(assertion(account));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(json::parse(r.body)["error"], "invalid_grant");
  }
  EXPECT_EQ(sim->token_grants(), 1u);
}

TEST_F(FcmSim, RefusesExpiredAssertions) {
  std::string jwt = assertion(testing::account_json());
  now_ms += 3601 * 1000;
  EXPECT_EQ(grant(jwt).status, 400);
}

TEST_F(FcmSim, SendNeedsALiveBearerToken) {
  std::string body = push::fcm::fcm_message_body("tok-1");
  EXPECT_EQ(send("nonsense", body).status, 401);
  std::string token = access_token();
  EXPECT_EQ(send(token, body).status, 200);
  now_ms += 61 * 1000;  // past expires_in
  auto expired = send(token, body);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(error_code(expired), "UNAUTHENTICATED");
  token = access_token();
  EXPECT_EQ(send(token, body).status, 200);
  sim->revoke_access_tokens();
  EXPECT_EQ(send(token, body).status, 401);
}

TEST_F(FcmSim, ChecksProjectAndMessageShape) {
  std::string token = access_token();
  EXPECT_EQ(send(token, push::fcm::fcm_message_body("t"), "other-project").status, 403);
  auto notification = send(token, R"({"message":{"token":"t","notification":{"title":"hi"}}})");
  EXPECT_EQ(notification.status, 400);
  EXPECT_EQ(error_code(notification), "BadRequest");
  EXPECT_EQ(send(token, R"({"message":{"data":{"a":"b"}}})").status, 400);
  EXPECT_EQ(send(token, R"({"message":{"token":"t","data":{"a":1}}})").status, 400);
  EXPECT_EQ(send(token, "not json").status, 400);
}

TEST_F(FcmSim, AnswersEachTokenBehaviourInGooglesShape) {
  struct Case {
    Behaviour behaviour;
    int status;
    const char* code;
  };
  const Case cases[] = {
      {Behaviour::unregistered, 404, "UNREGISTERED"},
      {Behaviour::invalid_argument, 400, "INVALID_ARGUMENT"},
      {Behaviour::sender_id_mismatch, 403, "SENDER_ID_MISMATCH"},
      {Behaviour::quota_exceeded, 429, "QUOTA_EXCEEDED"},
      {Behaviour::unavailable, 503, "UNAVAILABLE"},
      {Behaviour::internal, 500, "INTERNAL"},
  };
  std::string token = access_token();
  for (const Case& c : cases) {
    std::string device = std::string("dev-") + c.code;
    behaviours.set(device, c.behaviour);
    auto r = send(token, push::fcm::fcm_message_body(device));
    EXPECT_EQ(r.status, c.status) << c.code;
    EXPECT_EQ(error_code(r), c.code);
    bool has_retry_after = false;
    for (auto& [k, v] : r.headers) has_retry_after = has_retry_after || (k == "retry-after" && v == "7");
    EXPECT_EQ(has_retry_after, c.status == 429 || c.status == 503) << c.code;
  }
  EXPECT_EQ(sim->delivered(), 0u);
}

TEST(FcmSimTokenBehaviours, ParsesLinesAndRereadsTheFile) {
  auto parsed = parse_behaviour_lines("# comment\n\ntokA UNREGISTERED\ntokB quota_exceeded\n"
                                      "tokC nonsense\ntokD ok extra\n");
  EXPECT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed["tokA"], Behaviour::unregistered);
  EXPECT_EQ(parsed["tokB"], Behaviour::quota_exceeded);

  testing::TlsFiles dir;  // only for its temp directory
  std::string path = dir.path("tokens.txt");
  TokenBehaviours b(path);
  b.set("fixed", Behaviour::internal);
  EXPECT_EQ(b.lookup("tokA"), Behaviour::ok);  // no file yet
  EXPECT_EQ(b.lookup("fixed"), Behaviour::internal);
  std::ofstream(path) << "tokA UNREGISTERED\n";
  EXPECT_EQ(b.lookup("tokA"), Behaviour::unregistered);
  std::ofstream(path) << "tokA ok\nfixed SENDER_ID_MISMATCH\n";
  EXPECT_EQ(b.lookup("tokA"), Behaviour::ok);
  EXPECT_EQ(b.lookup("fixed"), Behaviour::sender_id_mismatch);
}

}  // namespace
}  // namespace herald::fcm_sim
