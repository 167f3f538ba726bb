// FCM response classification for every error code, and the message Herald
// sends: data-only, high priority, nothing from the publish but the token.
#include "push/fcm/fcm_response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "push/fcm/fcm_message.h"

namespace herald::push::fcm {
namespace {

std::string fcm_error_body(int code, const char* status, const char* error_code) {
  nlohmann::json error = {{"code", code}, {"message", "m"}, {"status", status}};
  if (error_code) {
    error["details"] = {{{"@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError"},
                         {"errorCode", error_code}}};
  }
  return nlohmann::json{{"error", error}}.dump();
}

UpstreamResult classify(int status, const std::string& body) {
  return classify_fcm_response(status, parse_fcm_error(body));
}

TEST(FcmResponse, MessageNameOfASuccessIsKeptForTracing) {
  EXPECT_EQ(parse_fcm_message_name(R"({"name":"projects/herald-test/messages/0:1700000000%31"})"),
            "projects/herald-test/messages/0:1700000000%31");
  EXPECT_EQ(parse_fcm_message_name("{}"), "");
  EXPECT_EQ(parse_fcm_message_name(R"({"name":7})"), "");
  EXPECT_EQ(parse_fcm_message_name("not json"), "");
}

TEST(FcmResponse, ParsesGooglesErrorShape) {
  FcmError e = parse_fcm_error(
      R"({"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND",)"
      R"("details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError",)"
      R"("errorCode":"UNREGISTERED"}]}})");
  EXPECT_EQ(e.status, "NOT_FOUND");
  EXPECT_EQ(e.error_code, "UNREGISTERED");
  EXPECT_EQ(parse_fcm_error("<html>oops</html>").error_code, "");
  EXPECT_EQ(parse_fcm_error(R"({"error":{"details":[1,"x",{"errorCode":"UNREGISTERED"}]}})")
                .error_code,
            "");  // only an FcmError detail counts
}

TEST(FcmResponse, ClassifiesEveryErrorCode) {
  struct Case {
    int status;
    const char* rpc;
    const char* code;
    UpstreamStatus want;
  };
  const Case cases[] = {
      {404, "NOT_FOUND", "UNREGISTERED", UpstreamStatus::token_dead},
      {400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", UpstreamStatus::token_invalid},
      {403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", UpstreamStatus::token_invalid},
      {429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", UpstreamStatus::throttled},
      {503, "UNAVAILABLE", "UNAVAILABLE", UpstreamStatus::unavailable},
      {500, "INTERNAL", "INTERNAL", UpstreamStatus::unavailable},
      {401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR", UpstreamStatus::rejected},
      {401, "UNAUTHENTICATED", nullptr, UpstreamStatus::rejected},
      {403, "PERMISSION_DENIED", nullptr, UpstreamStatus::rejected},
      // A 404 without UNREGISTERED (unknown project): our configuration, not the token.
      {404, "NOT_FOUND", nullptr, UpstreamStatus::rejected},
      // INVALID_ARGUMENT about our request (a BadRequest detail only): keep the token.
      {400, "INVALID_ARGUMENT", nullptr, UpstreamStatus::rejected},
      {429, "RESOURCE_EXHAUSTED", nullptr, UpstreamStatus::throttled},
      {502, "UNAVAILABLE", nullptr, UpstreamStatus::unavailable},
  };
  for (const Case& c : cases) {
    UpstreamResult r = classify(c.status, fcm_error_body(c.status, c.rpc, c.code));
    EXPECT_EQ(r.status, c.want) << c.status << " " << c.rpc << " " << (c.code ? c.code : "-");
    EXPECT_EQ(r.http_status, c.status);
    EXPECT_EQ(r.reason, c.code ? c.code : c.rpc);
  }
  UpstreamResult ok = classify(200, R"({"name":"projects/p/messages/1"})");
  EXPECT_EQ(ok.status, UpstreamStatus::delivered);
  EXPECT_EQ(classify(503, "").status, UpstreamStatus::unavailable);
  EXPECT_EQ(classify(503, "").reason, "HTTP 503");
}

TEST(FcmResponse, RetryAfterIsDelaySeconds) {
  EXPECT_EQ(parse_retry_after("30"), std::chrono::seconds(30));
  EXPECT_EQ(parse_retry_after(" 5 "), std::chrono::seconds(5));
  EXPECT_FALSE(parse_retry_after(""));
  EXPECT_FALSE(parse_retry_after("-1"));
  EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
}

TEST(FcmMessage, IsDataOnlyHighPriorityWithNothingButTheToken) {
  std::string token = "fcm-token:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx";
  nlohmann::json body = nlohmann::json::parse(fcm_message_body(token));
  nlohmann::json want = {{"message",
                          {{"token", token},
                           {"android", {{"priority", "high"}}},
                           {"data", {{"type", "wake-up"}}}}}};
  EXPECT_EQ(body, want);
  EXPECT_FALSE(body["message"].contains("notification"));
  EXPECT_EQ(fcm_send_path("my-project"), "/v1/projects/my-project/messages:send");
}

TEST(FcmMessage, TokenPlausibility) {
  EXPECT_TRUE(plausible_fcm_token("dQw4w9WgXcQ:APA91bF-1_x"));
  EXPECT_TRUE(plausible_fcm_token(std::string(4096, 'a')));
  EXPECT_FALSE(plausible_fcm_token(std::string(4097, 'a')));
  EXPECT_FALSE(plausible_fcm_token(""));
  EXPECT_FALSE(plausible_fcm_token("has space"));
  EXPECT_FALSE(plausible_fcm_token("tab\there"));
  EXPECT_FALSE(plausible_fcm_token("caf\xc3\xa9"));
}

TEST(FcmMessage, ParsesHttpsUrls) {
  auto u = parse_https_url("https://oauth2.googleapis.com/token");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "oauth2.googleapis.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/token");
  u = parse_https_url("https://127.0.0.1:8443/o/token");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/o/token");
  u = parse_https_url("https://[::1]:9000");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->path, "/");
  EXPECT_FALSE(parse_https_url("http://oauth2.googleapis.com/token"));
  EXPECT_FALSE(parse_https_url("https://host:99999/"));
  EXPECT_FALSE(parse_https_url("https:///token"));
}

}  // namespace
}  // namespace herald::push::fcm
