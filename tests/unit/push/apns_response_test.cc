#include "push/apns/apns_response.h"

#include <gtest/gtest.h>

namespace herald::push::apns {
namespace {

struct Row {
  int status;
  const char* reason;
  UpstreamStatus expected;
};

TEST(ApnsResponse, EveryDocumentedStatusMapsToItsOutcome) {
  const Row rows[] = {
      {200, "", UpstreamStatus::delivered},
      {410, "Unregistered", UpstreamStatus::token_dead},
      {410, "ExpiredToken", UpstreamStatus::token_dead},
      {400, "BadDeviceToken", UpstreamStatus::token_invalid},
      {400, "DeviceTokenNotForTopic", UpstreamStatus::token_invalid},
      {400, "BadTopic", UpstreamStatus::rejected},
      {400, "BadExpirationDate", UpstreamStatus::rejected},
      {400, "MissingTopic", UpstreamStatus::rejected},
      {400, "PayloadEmpty", UpstreamStatus::rejected},
      {400, "", UpstreamStatus::rejected},
      {403, "ExpiredProviderToken", UpstreamStatus::rejected},
      {403, "InvalidProviderToken", UpstreamStatus::rejected},
      {403, "BadCertificateEnvironment", UpstreamStatus::rejected},
      {404, "BadPath", UpstreamStatus::rejected},
      {405, "MethodNotAllowed", UpstreamStatus::rejected},
      {413, "PayloadTooLarge", UpstreamStatus::rejected},
      {429, "TooManyRequests", UpstreamStatus::throttled},
      {429, "TooManyProviderTokenUpdates", UpstreamStatus::throttled},
      {500, "InternalServerError", UpstreamStatus::unavailable},
      {503, "ServiceUnavailable", UpstreamStatus::unavailable},
      {503, "Shutdown", UpstreamStatus::unavailable},
      {502, "", UpstreamStatus::unavailable},
      {401, "", UpstreamStatus::rejected},
  };
  for (const Row& row : rows) {
    UpstreamResult r = classify_apns_response(row.status, row.reason, std::nullopt);
    EXPECT_EQ(r.status, row.expected)
        << row.status << " " << row.reason << " -> " << to_string(r.status);
    EXPECT_EQ(r.http_status, row.status);
    if (row.reason[0] != '\0') {
      EXPECT_EQ(r.reason, row.reason);
    }
    if (row.status != 410) {
      EXPECT_FALSE(r.dead_since_ms);
    }
  }
}

TEST(ApnsResponse, UnregisteredCarriesTheTimestamp) {
  ApnsErrorBody body =
      parse_apns_error_body(R"({"reason":"Unregistered","timestamp":1700000000123})");
  EXPECT_EQ(body.reason, "Unregistered");
  ASSERT_TRUE(body.timestamp_ms);
  EXPECT_EQ(*body.timestamp_ms, 1700000000123);
  UpstreamResult r = classify_apns_response(410, body.reason, body.timestamp_ms);
  EXPECT_EQ(r.status, UpstreamStatus::token_dead);
  EXPECT_EQ(r.reason, "Unregistered");
  EXPECT_EQ(r.dead_since_ms, 1700000000123);
}

TEST(ApnsResponse, GoneWithoutBodyIsStillDead) {
  UpstreamResult r = classify_apns_response(410, "", std::nullopt);
  EXPECT_EQ(r.status, UpstreamStatus::token_dead);
  EXPECT_FALSE(r.dead_since_ms);
}

TEST(ApnsResponse, ErrorBodyParsingToleratesJunk) {
  EXPECT_EQ(parse_apns_error_body("").reason, "");
  EXPECT_EQ(parse_apns_error_body("<html>bad gateway</html>").reason, "");
  EXPECT_EQ(parse_apns_error_body(R"({"reason":42})").reason, "");
  EXPECT_FALSE(parse_apns_error_body(R"({"reason":"X","timestamp":"soon"})").timestamp_ms);
  EXPECT_EQ(parse_apns_error_body(R"({"reason":"BadTopic"})").reason, "BadTopic");
}

TEST(ApnsResponse, OnlyExpiredProviderTokenAsksForARefresh) {
  EXPECT_TRUE(is_expired_provider_token(403, "ExpiredProviderToken"));
  EXPECT_FALSE(is_expired_provider_token(403, "InvalidProviderToken"));
  EXPECT_FALSE(is_expired_provider_token(400, "ExpiredProviderToken"));
}

}  // namespace
}  // namespace herald::push::apns

namespace herald::push::apns {
namespace {

// Found by apns_response_fuzz: a float timestamp beyond int64's range was
// cast with undefined behaviour.
TEST(ApnsResponse, TimestampOutsideInt64RangeIsIgnored) {
  EXPECT_FALSE(parse_apns_error_body(R"({"reason":"Unregistered","timestamp":1e19})").timestamp_ms);
  EXPECT_FALSE(parse_apns_error_body(R"({"timestamp":-1.5e19})").timestamp_ms);
  EXPECT_FALSE(parse_apns_error_body(R"({"timestamp":1e300})").timestamp_ms);
  EXPECT_EQ(parse_apns_error_body(R"({"timestamp":1700000000000.0})").timestamp_ms, 1700000000000);
}

}  // namespace
}  // namespace herald::push::apns
