#include "turn/turn_api.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "base/encoding.h"

namespace herald::turn {
namespace {

using nlohmann::json;

// The app's side, computed without the code under test.
std::string app_answer(const std::string& secret, const json& challenge) {
  uint64_t valid_until = challenge["validUntil"].get<uint64_t>();
  std::string data;
  for (int i = 0; i < 8; ++i) data += char((valid_until >> (8 * i)) & 0xff);
  data += challenge["challenge"].get<std::string>();
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA512", nullptr, secret.data(), secret.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
            &len);
  return base64_encode(std::string(reinterpret_cast<char*>(out), len));
}

std::string sha1_password(const std::string& secret, const std::string& username) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, secret.data(), secret.size(),
            reinterpret_cast<const unsigned char*>(username.data()), username.size(), out,
            sizeof out, &len);
  return base64_encode(std::string(reinterpret_cast<char*>(out), len));
}

class TurnApiTest : public ::testing::Test {
 protected:
  TurnApiTest() : api_(options(), [this] { return now_; }) { api_.add_routes(router_); }

  static TurnApiOptions options() {
    TurnApiOptions o;
    o.apps = {{"monal", "monal-secret"}, {"other", "other-secret"}};
    o.shared_secrets = {"new-secret", "old-secret"};
    o.uris = {"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"};
    o.challenge_lifetime = std::chrono::seconds(30);
    o.credential_lifetime = std::chrono::seconds(3600);
    o.max_challenges = 5;
    o.rate_limit_requests = 1000;
    return o;
  }

  http::Response call(const std::string& method, const std::string& path,
                      const std::string& body = "", const std::string& ip = "192.0.2.7") {
    http::Request r;
    r.method = method;
    r.path = r.target = path;
    r.body = body;
    r.remote_address = ip;
    return router_.handle(r);
  }

  json new_challenge() {
    auto r = call("GET", "/api/v1/challenge/new");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body);
  }

  http::Response validate(const json& challenge, const std::string& app_id,
                          const std::string& answer) {
    json body = {{"challenge", challenge}, {"appId", app_id}, {"challengeResponse", answer}};
    return call("POST", "/api/v1/challenge/validate", body.dump());
  }

  static std::string error_of(const http::Response& r) {
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body).value("error", "");
  }

  int64_t now_ = 1700000000;
  http::Router router_;
  TurnApi api_;
};

TEST_F(TurnApiTest, ChallengeAnsweredGivesCoturnCredentials) {
  json c = new_challenge();
  ASSERT_TRUE(c["challenge"].is_string());
  EXPECT_EQ(c["validUntil"].get<int64_t>(), now_ + 30);
  now_ += 5;
  auto r = validate(c, "monal", app_answer("monal-secret", c));
  ASSERT_EQ(r.status, 200) << r.body;
  json creds = json::parse(r.body);
  std::string user = creds["username"];
  EXPECT_EQ(user.substr(0, user.find(':')), std::to_string(now_ + 3600));
  EXPECT_GT(user.size(), user.find(':') + 1);  // a random id after the expiry
  // Signed with the first (newest) shared secret.
  EXPECT_EQ(creds["password"], sha1_password("new-secret", user));
  EXPECT_EQ(creds["ttl"], 3600);
  EXPECT_EQ(creds["uris"], json({"turn:turn.example.org:3478?transport=udp",
                                 "turns:turn.example.org:5349"}));
  // Each app answers with its own secret.
  json c2 = new_challenge();
  EXPECT_EQ(validate(c2, "other", app_answer("other-secret", c2)).status, 200);
}

TEST_F(TurnApiTest, ReusedChallengeIsRefused) {
  json c = new_challenge();
  std::string answer = app_answer("monal-secret", c);
  ASSERT_EQ(validate(c, "monal", answer).status, 200);
  auto again = validate(c, "monal", answer);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(error_of(again), "challenge_used");
}

TEST_F(TurnApiTest, WrongResponseIsRefusedAndUsesTheChallenge) {
  json c = new_challenge();
  auto r = validate(c, "monal", app_answer("other-secret", c));  // another app's secret
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_of(r), "bad_response");
  EXPECT_EQ(validate(c, "monal", app_answer("monal-secret", c)).status, 409);  // no second try
  json d = new_challenge();
  EXPECT_EQ(validate(d, "monal", "not base64!").status, 401);
  json e = new_challenge();
  std::string truncated = app_answer("monal-secret", e).substr(0, 40);
  EXPECT_EQ(validate(e, "monal", truncated).status, 401);
}

TEST_F(TurnApiTest, ExpiredChallenge) {
  json c = new_challenge();
  now_ += 31;
  auto r = validate(c, "monal", app_answer("monal-secret", c));
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(error_of(r), "challenge_expired");
}

TEST_F(TurnApiTest, UnknownOrAlteredChallenge) {
  json forged = {{"challenge", "made-up"}, {"validUntil", now_ + 10}};
  auto r = validate(forged, "monal", app_answer("monal-secret", forged));
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(error_of(r), "challenge_unknown");
  // Stretching validUntil of a real challenge makes it unknown too.
  json c = new_challenge();
  c["validUntil"] = now_ + 100000;
  EXPECT_EQ(error_of(validate(c, "monal", app_answer("monal-secret", c))), "challenge_unknown");
}

TEST_F(TurnApiTest, UnknownApp) {
  json c = new_challenge();
  auto r = validate(c, "nosuchapp", app_answer("monal-secret", c));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_of(r), "unknown_app");
  EXPECT_EQ(validate(c, "monal", app_answer("monal-secret", c)).status, 200);  // not used up
}

TEST_F(TurnApiTest, MalformedRequests) {
  json c = new_challenge();
  std::string answer = app_answer("monal-secret", c);
  const char* bodies[] = {
      "",
      "not json",
      "[1,2]",
      R"({"appId":"monal","challengeResponse":"x"})",
      R"({"challenge":"abc","appId":"monal","challengeResponse":"x"})",
      R"({"challenge":{"challenge":"abc"},"appId":"monal","challengeResponse":"x"})",
      R"({"challenge":{"challenge":"abc","validUntil":"soon"},"appId":"monal","challengeResponse":"x"})",
      R"({"challenge":{"challenge":"abc","validUntil":5},"appId":7,"challengeResponse":"x"})",
      R"({"challenge":{"challenge":"abc","validUntil":5},"appId":"monal"})",
  };
  for (const char* body : bodies) {
    auto r = call("POST", "/api/v1/challenge/validate", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(error_of(r), "bad_request") << body;
  }
  EXPECT_EQ(validate(c, "monal", answer).status, 200);  // malformed calls used nothing
}

TEST_F(TurnApiTest, WrongMethodsAndPaths) {
  EXPECT_EQ(call("POST", "/api/v1/challenge/new").status, 405);
  EXPECT_EQ(call("GET", "/api/v1/challenge/validate").status, 405);
  EXPECT_EQ(call("GET", "/api/v1/challenge").status, 404);
}

TEST_F(TurnApiTest, TooManyOutstandingChallenges) {
  for (int i = 0; i < 5; ++i) new_challenge();
  auto r = call("GET", "/api/v1/challenge/new");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(error_of(r), "busy");
  now_ += 31;
  EXPECT_EQ(call("GET", "/api/v1/challenge/new").status, 200);
}

TEST(TurnApiRateLimit, PerAddressWithRetryAfter) {
  int64_t now = 1700000000;
  TurnApiOptions o;
  o.apps = {{"monal", "s"}};
  o.shared_secrets = {"x"};
  o.rate_limit_requests = 2;
  o.rate_limit_window = std::chrono::seconds(60);
  TurnApi api(o, [&] { return now; });
  http::Request r;
  r.method = "GET";
  r.path = "/api/v1/challenge/new";
  r.remote_address = "198.51.100.1";
  EXPECT_EQ(api.new_challenge(r).status, 200);
  EXPECT_EQ(api.validate(r).status, 400);  // counts too
  auto refused = api.new_challenge(r);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(nlohmann::json::parse(refused.body)["error"], "rate_limited");
  ASSERT_EQ(refused.headers.size(), 1u);
  EXPECT_EQ(refused.headers[0], std::make_pair(std::string("Retry-After"), std::string("60")));
  EXPECT_EQ(api.validate(r).status, 429);
  r.remote_address = "198.51.100.2";
  EXPECT_EQ(api.new_challenge(r).status, 200);
  now += 60;
  r.remote_address = "198.51.100.1";
  EXPECT_EQ(api.new_challenge(r).status, 200);
}

TEST(TurnApiConfig, NeedsAppsAndSecrets) {
  TurnApiOptions o;
  o.shared_secrets = {"x"};
  EXPECT_THROW(TurnApi{o}, std::invalid_argument);
  o.apps = {{"a", "b"}};
  o.shared_secrets.clear();
  EXPECT_THROW(TurnApi{o}, std::invalid_argument);
}

}  // namespace
}  // namespace herald::turn
