#include "push/apns/apns_request.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace herald::push::apns {
namespace {

using PushType = ApnsModuleSettings::PushType;
using Clock = std::chrono::system_clock;

const std::string kToken(64, 'a');
const Clock::time_point kNow{std::chrono::seconds(1700000000)};

std::map<std::string, std::string> headers_of(const ApnsRequest& r) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : r.headers) {
    EXPECT_TRUE(out.emplace(name, value).second) << "duplicate header " << name;
  }
  return out;
}

ApnsModuleSettings settings_for(PushType type) {
  ApnsModuleSettings s;
  s.topic = "im.example.app";
  s.push_type = type;
  return s;
}

TEST(ApnsRequest, AlertRequestHeadersAndPath) {
  ApnsRequest r = build_apns_request(settings_for(PushType::alert), {kToken, true}, "JWT", kNow);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/3/device/" + kToken);
  auto h = headers_of(r);
  EXPECT_EQ(h["apns-topic"], "im.example.app");
  EXPECT_EQ(h["apns-push-type"], "alert");
  EXPECT_EQ(h["apns-priority"], "10");
  EXPECT_EQ(h["apns-expiration"], std::to_string(1700000000 + 28 * 24 * 3600));
  EXPECT_EQ(h["authorization"], "bearer JWT");
  EXPECT_EQ(h.count("apns-collapse-id"), 0u);
  EXPECT_EQ(h["apns-id"], r.apns_id);
  EXPECT_TRUE(std::regex_match(
      r.apns_id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << r.apns_id;
}

TEST(ApnsRequest, BackgroundUsesPriorityFive) {
  auto h = headers_of(build_apns_request(settings_for(PushType::background), {kToken}, "J", kNow));
  EXPECT_EQ(h["apns-topic"], "im.example.app");
  EXPECT_EQ(h["apns-push-type"], "background");
  EXPECT_EQ(h["apns-priority"], "5");
}

TEST(ApnsRequest, VoipUsesVoipTopicAndPriorityTen) {
  auto h = headers_of(build_apns_request(settings_for(PushType::voip), {kToken}, "J", kNow));
  EXPECT_EQ(h["apns-topic"], "im.example.app.voip");
  EXPECT_EQ(h["apns-push-type"], "voip");
  EXPECT_EQ(h["apns-priority"], "10");
}

TEST(ApnsRequest, ExpirationAndCollapseIdFollowSettings) {
  ApnsModuleSettings s = settings_for(PushType::alert);
  s.expiration = std::chrono::hours(1);
  s.collapse_id = "wake";
  auto h = headers_of(build_apns_request(s, {kToken}, "J", kNow + std::chrono::seconds(5)));
  EXPECT_EQ(h["apns-expiration"], std::to_string(1700000000 + 5 + 3600));
  EXPECT_EQ(h["apns-collapse-id"], "wake");
}

TEST(ApnsRequest, EachRequestGetsItsOwnApnsId) {
  auto s = settings_for(PushType::alert);
  EXPECT_NE(build_apns_request(s, {kToken}, "J", kNow).apns_id,
            build_apns_request(s, {kToken}, "J", kNow).apns_id);
}

TEST(ApnsRequest, AlertPayloadIsTheFixedWakeUpText) {
  ApnsModuleSettings s = settings_for(PushType::alert);
  s.alert_title = "Ding";
  s.alert_body = "Something \"new\"";
  auto body = nlohmann::json::parse(build_apns_request(s, {kToken}, "J", kNow).body);
  EXPECT_EQ(body,
            nlohmann::json::parse(R"({"aps":{"alert":{"title":"Ding","body":"Something \"new\""},
                                              "mutable-content":1,"sound":"default"}})"));
}

TEST(ApnsRequest, DefaultAlertTextNamesNoMessage) {
  auto body = nlohmann::json::parse(apns_payload(settings_for(PushType::alert)));
  EXPECT_EQ(body["aps"]["alert"]["title"], "New message");
  EXPECT_EQ(body["aps"]["alert"]["body"], "Open the app to read it");
}

TEST(ApnsRequest, BackgroundPayloadIsContentAvailableOnly) {
  auto body = nlohmann::json::parse(apns_payload(settings_for(PushType::background)));
  EXPECT_EQ(body, nlohmann::json::parse(R"({"aps":{"content-available":1}})"));
}

TEST(ApnsRequest, SettingsCheckEnforcesPayloadLimits) {
  EXPECT_EQ(apns_payload_limit(PushType::alert), 4096u);
  EXPECT_EQ(apns_payload_limit(PushType::voip), 5120u);
  ApnsModuleSettings s = settings_for(PushType::alert);
  EXPECT_EQ(check_apns_settings(s), "");

  // Pick a body so the alert payload is exactly 4096 bytes.
  size_t base = apns_payload(s).size() - s.alert_body.size();
  s.alert_body = std::string(4096 - base, 'x');
  ASSERT_EQ(apns_payload(s).size(), 4096u);
  EXPECT_EQ(check_apns_settings(s), "");
  s.alert_body += "x";
  EXPECT_NE(check_apns_settings(s), "");
  // The same payload fits the VoIP limit.
  s.push_type = PushType::voip;
  EXPECT_EQ(check_apns_settings(s), "");
  s.alert_body += std::string(1024, 'x');
  EXPECT_NE(check_apns_settings(s), "");
}

TEST(ApnsRequest, BackgroundModuleSendsImportantPushesAsAlerts) {
  ApnsModuleSettings s = settings_for(PushType::background);
  ApnsRequest r = build_apns_request(s, {kToken, /*important=*/true}, "J", kNow);
  auto h = headers_of(r);
  EXPECT_EQ(h["apns-push-type"], "alert");
  EXPECT_EQ(h["apns-priority"], "10");
  EXPECT_EQ(h["apns-topic"], "im.example.app");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["aps"]["mutable-content"], 1);
  EXPECT_FALSE(body["aps"].contains("content-available"));
  // An alert module stays alert, a voip module stays voip, whatever the job.
  EXPECT_EQ(headers_of(build_apns_request(settings_for(PushType::voip), {kToken, false}, "J",
                                          kNow))["apns-push-type"],
            "voip");
  EXPECT_EQ(headers_of(build_apns_request(settings_for(PushType::alert), {kToken, false}, "J",
                                          kNow))["apns-push-type"],
            "alert");
}

TEST(ApnsRequest, ExtraPayloadKeysSitBesideAps) {
  ApnsModuleSettings s = settings_for(PushType::alert);
  s.extra_payload = R"({"min-build":"6.4.2","flags":{"upgrade":true}})";
  EXPECT_EQ(check_apns_settings(s), "");
  auto body = nlohmann::json::parse(build_apns_request(s, {kToken}, "J", kNow).body);
  EXPECT_EQ(body["min-build"], "6.4.2");
  EXPECT_EQ(body["flags"]["upgrade"], true);
  EXPECT_EQ(body["aps"]["mutable-content"], 1);
  s.push_type = PushType::background;
  body = nlohmann::json::parse(build_apns_request(s, {kToken}, "J", kNow).body);
  EXPECT_EQ(body["min-build"], "6.4.2");
  EXPECT_EQ(body["aps"], nlohmann::json::parse(R"({"content-available":1})"));
}

TEST(ApnsRequest, ExtraPayloadMustNotTouchApsAndMustFit) {
  ApnsModuleSettings s = settings_for(PushType::alert);
  s.extra_payload = R"({"aps":{"badge":1}})";
  EXPECT_NE(check_apns_settings(s).find("aps"), std::string::npos);
  s.extra_payload = "[1,2]";
  EXPECT_NE(check_apns_settings(s), "");
  s.extra_payload = R"({"pad":")" + std::string(4096, 'x') + R"("})";
  EXPECT_NE(check_apns_settings(s).find("4096"), std::string::npos);
  // A background module also sends alerts, so the alert must fit too.
  s = settings_for(PushType::background);
  s.alert_body = std::string(4090, 'x');
  EXPECT_NE(check_apns_settings(s).find("alert payload"), std::string::npos);
}

TEST(ApnsRequest, CertificateAuthHasNoAuthorizationHeader) {
  auto h = headers_of(build_apns_request(settings_for(PushType::alert), {kToken}, "", kNow));
  EXPECT_EQ(h.count("authorization"), 0u);
}

TEST(ApnsRequest, SettingsCheckWantsATopic) {
  ApnsModuleSettings s;
  EXPECT_NE(check_apns_settings(s), "");
}

TEST(ApnsRequest, PlausibleTokens) {
  EXPECT_TRUE(plausible_apns_token(kToken));
  EXPECT_TRUE(plausible_apns_token("0123456789abcdefABCDEF"));
  EXPECT_TRUE(plausible_apns_token(std::string(200, 'f')));
  EXPECT_TRUE(plausible_apns_token(std::string(160, '0')));
  EXPECT_FALSE(plausible_apns_token(""));
  EXPECT_FALSE(plausible_apns_token("abc"));  // odd length
  EXPECT_FALSE(plausible_apns_token(std::string(202, 'f')));
  EXPECT_FALSE(plausible_apns_token("zz"));
  EXPECT_FALSE(plausible_apns_token("cXyZ:APA91bH"));  // an FCM token
  EXPECT_FALSE(plausible_apns_token(std::string(63, 'a') + "/"));
}

}  // namespace
}  // namespace herald::push::apns
