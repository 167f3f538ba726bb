#include "apns-sim/request_validator.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::apns_sim {
namespace {

const std::string kToken(64, 'a');
const std::string kPayload = R"({"aps":{"alert":{"title":"t","body":"b"}}})";

Request notification(std::string push_type = "alert") {
  Request request;
  request.method = "POST";
  request.path = "/3/device/" + kToken;
  request.headers = {{"apns-topic", "com.example.app"},
                     {"apns-push-type", std::move(push_type)},
                     {"authorization", "bearer x.y.z"}};
  request.body = kPayload;
  request.body_size = kPayload.size();
  return request;
}

void set_header(Request& request, const std::string& name, const std::string& value) {
  for (auto& header : request.headers) {
    if (header.first == name) {
      header.second = value;
      return;
    }
  }
  request.headers.emplace_back(name, value);
}

void remove_header(Request& request, const std::string& name) {
  std::erase_if(request.headers, [&](const auto& header) { return header.first == name; });
}

void set_body(Request& request, const std::string& body) {
  request.body = body;
  request.body_size = body.size();
}

class ValidatorTest : public ::testing::Test {
 protected:
  ValidatorTest() { config_.topics = {"com.example.app", "com.example.app.voip"}; }

  std::string route_reason(const Request& request) {
    std::string token;
    Verdict v = check_route(request, &token);
    return v.ok() ? "OK" : std::to_string(v.status) + " " + v.reason;
  }
  std::string reason(const Request& request) {
    Verdict v = check_notification(request, config_);
    return v.ok() ? "OK" : std::to_string(v.status) + " " + v.reason;
  }

  ValidatorConfig config_;
};

TEST_F(ValidatorTest, AcceptsAWellFormedRequestAndLowercasesTheToken) {
  Request request = notification();
  request.path = "/3/device/" + std::string(64, 'A');
  std::string token;
  EXPECT_TRUE(check_route(request, &token).ok());
  EXPECT_EQ(token, std::string(64, 'a'));
  EXPECT_EQ(reason(request), "OK");
  EXPECT_TRUE(check_duplicates(request).ok());
}

TEST_F(ValidatorTest, Route) {
  Request request = notification();
  request.method = "GET";
  EXPECT_EQ(route_reason(request), "405 MethodNotAllowed");
  request = notification();
  request.path = "/3/devices/" + kToken;
  EXPECT_EQ(route_reason(request), "404 BadPath");
  request.path = "/2/device/" + kToken;
  EXPECT_EQ(route_reason(request), "404 BadPath");
  request.path = "/3/device/";
  EXPECT_EQ(route_reason(request), "400 MissingDeviceToken");
}

TEST_F(ValidatorTest, DeviceTokenMustBeEvenLengthHexOfSaneLength) {
  Request request = notification();
  for (const std::string& bad :
       {std::string(64, 'g'), std::string(62, 'a'), std::string(65, 'a'), std::string(202, 'a'),
        std::string(63, 'a') + "/", std::string("nothex")}) {
    request.path = "/3/device/" + bad;
    EXPECT_EQ(route_reason(request), "400 BadDeviceToken") << bad;
  }
  request.path = "/3/device/" + std::string(200, 'f');
  EXPECT_EQ(route_reason(request), "OK");
}

TEST_F(ValidatorTest, DuplicateApnsHeaders) {
  Request request = notification();
  request.headers.emplace_back("apns-topic", "com.example.app");
  EXPECT_EQ(check_duplicates(request).reason, "DuplicateHeaders");
  request = notification();
  request.headers.emplace_back("user-agent", "a");
  request.headers.emplace_back("user-agent", "b");
  EXPECT_TRUE(check_duplicates(request).ok());
}

TEST_F(ValidatorTest, Topic) {
  Request request = notification();
  remove_header(request, "apns-topic");
  EXPECT_EQ(reason(request), "400 MissingTopic");
  set_header(request, "apns-topic", "");
  EXPECT_EQ(reason(request), "400 BadTopic");
  set_header(request, "apns-topic", "com example");
  EXPECT_EQ(reason(request), "400 BadTopic");
  set_header(request, "apns-topic", "com.other.app");
  EXPECT_EQ(reason(request), "400 DeviceTokenNotForTopic");
}

TEST_F(ValidatorTest, VoipNeedsTheVoipTopicAndMayBeLarger) {
  Request request = notification("voip");
  EXPECT_EQ(reason(request), "400 DeviceTokenNotForTopic");
  set_header(request, "apns-topic", "com.example.app.voip");
  EXPECT_EQ(reason(request), "OK");
  std::string big = R"({"aps":{},"x":")" + std::string(5000, 'x') + R"("})";
  set_body(request, big);
  EXPECT_EQ(reason(request), "OK");
  Request alert = notification();
  set_body(alert, big);
  EXPECT_EQ(reason(alert), "413 PayloadTooLarge");
}

TEST_F(ValidatorTest, PushType) {
  Request request = notification("notification");
  EXPECT_EQ(reason(request), "400 InvalidPushType");
  remove_header(request, "apns-push-type");
  EXPECT_EQ(reason(request), "OK");  // absent: treated as alert
}

TEST_F(ValidatorTest, Priority) {
  Request request = notification();
  for (const char* ok : {"1", "5", "10"}) {
    set_header(request, "apns-priority", ok);
    EXPECT_EQ(reason(request), "OK") << ok;
  }
  for (const char* bad : {"0", "11", "high", "", "05"}) {
    set_header(request, "apns-priority", bad);
    EXPECT_EQ(reason(request), "400 BadPriority") << bad;
  }
}

TEST_F(ValidatorTest, BackgroundMustNotUsePriority10) {
  Request request = notification("background");
  set_body(request, R"({"aps":{"content-available":1}})");
  EXPECT_EQ(reason(request), "400 BadPriority");  // absent means 10
  set_header(request, "apns-priority", "10");
  EXPECT_EQ(reason(request), "400 BadPriority");
  set_header(request, "apns-priority", "5");
  EXPECT_EQ(reason(request), "OK");
}

TEST_F(ValidatorTest, Expiration) {
  Request request = notification();
  for (const char* ok : {"0", "1750000000"}) {
    set_header(request, "apns-expiration", ok);
    EXPECT_EQ(reason(request), "OK") << ok;
  }
  for (const char* bad : {"", "-1", "soon", "17e8", "1750000000.5", "99999999999999999999"}) {
    set_header(request, "apns-expiration", bad);
    EXPECT_EQ(reason(request), "400 BadExpirationDate") << bad;
  }
}

TEST_F(ValidatorTest, MessageId) {
  Request request = notification();
  set_header(request, "apns-id", "123e4567-e89b-12d3-a456-4266554400a0");
  EXPECT_EQ(reason(request), "OK");
  set_header(request, "apns-id", "123E4567-E89B-12D3-A456-4266554400A0");
  EXPECT_EQ(reason(request), "OK");
  for (const char* bad : {"123e4567e89b12d3a4564266554400a0", "123e4567-e89b-12d3-a456-4266554400a",
                          "123e4567-e89b-12d3-a456-4266554400ag", "x"}) {
    set_header(request, "apns-id", bad);
    EXPECT_EQ(reason(request), "400 BadMessageId") << bad;
  }
}

TEST_F(ValidatorTest, CollapseIdUpTo64Bytes) {
  Request request = notification();
  set_header(request, "apns-collapse-id", std::string(64, 'c'));
  EXPECT_EQ(reason(request), "OK");
  set_header(request, "apns-collapse-id", std::string(65, 'c'));
  EXPECT_EQ(reason(request), "400 BadCollapseId");
}

TEST_F(ValidatorTest, Payload) {
  Request request = notification();
  set_body(request, "");
  EXPECT_EQ(reason(request), "400 PayloadEmpty");
  set_body(request, "not json");
  EXPECT_EQ(reason(request), "400 BadPayload");
  set_body(request, "[1,2]");
  EXPECT_EQ(reason(request), "400 BadPayload");
  std::string exact = R"({"x":")" + std::string(4096 - 8, 'x') + R"("})";
  ASSERT_EQ(exact.size(), 4096u);
  set_body(request, exact);
  EXPECT_EQ(reason(request), "OK");
  set_body(request, exact + " ");
  EXPECT_EQ(reason(request), "413 PayloadTooLarge");
  // Size counts the whole body even when only a prefix was stored.
  set_body(request, kPayload);
  request.body_size = 1'000'000;
  EXPECT_EQ(reason(request), "413 PayloadTooLarge");
}

TEST(ErrorBodyTest, ReasonAndTimestamp) {
  EXPECT_EQ(error_body(Verdict::success()), "");
  EXPECT_EQ(error_body(Verdict::error(400, "BadTopic")), R"({"reason":"BadTopic"})");
  EXPECT_EQ(error_body(Verdict{410, "Unregistered", 1700000000123}),
            R"({"reason":"Unregistered","timestamp":1700000000123})");
}

}  // namespace
}  // namespace herald::apns_sim
