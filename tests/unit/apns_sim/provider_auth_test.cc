#include "apns-sim/provider_auth.h"

#include <gtest/gtest.h>

#include "test_jwt.h"

namespace herald::apns_sim {
namespace {

constexpr int64_t kNow = 1'750'000'000;

class ProviderAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    verifier_ = JwtVerifier::create({key_.public_pem(), "KEYID12345", "TEAM123456"}, &error);
    ASSERT_NE(verifier_, nullptr) << error;
  }
  std::string token(int64_t iat) { return key_.bearer("KEYID12345", "TEAM123456", iat); }
  static std::string describe(const Verdict& v) {
    return v.ok() ? "OK" : std::to_string(v.status) + " " + v.reason;
  }

  testing::TestKey key_;
  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(ProviderAuthTest, MissingHeader) {
  ProviderAuth auth(*verifier_, true);
  EXPECT_EQ(describe(auth.check(std::nullopt, kNow)), "403 MissingProviderToken");
  EXPECT_EQ(describe(auth.check("", kNow)), "403 MissingProviderToken");
  EXPECT_FALSE(auth.authenticated());
}

TEST_F(ProviderAuthTest, ReusedTokenExpiresAfterAnHour) {
  ProviderAuth auth(*verifier_, true);
  std::string first = token(kNow);
  EXPECT_EQ(describe(auth.check(first, kNow)), "OK");
  EXPECT_TRUE(auth.authenticated());
  EXPECT_EQ(describe(auth.check(first, kNow + 3600)), "OK");
  EXPECT_EQ(describe(auth.check(first, kNow + 3601)), "403 ExpiredProviderToken");
}

TEST_F(ProviderAuthTest, NewTokenWithin20MinutesIsTooManyUpdates) {
  ProviderAuth auth(*verifier_, true);
  std::string first = token(kNow);
  EXPECT_EQ(describe(auth.check(first, kNow)), "OK");
  EXPECT_EQ(describe(auth.check(token(kNow + 60), kNow + 60)), "429 TooManyProviderTokenUpdates");
  // The connection keeps its current token.
  EXPECT_EQ(describe(auth.check(first, kNow + 61)), "OK");
  EXPECT_EQ(describe(auth.check(token(kNow + 1200), kNow + 1200)), "OK");
  // Going back to the older token counts as another update.
  EXPECT_EQ(describe(auth.check(first, kNow + 1201)), "429 TooManyProviderTokenUpdates");
}

TEST_F(ProviderAuthTest, ResigningTheSameClaimsIsAnUpdateToo) {
  // ECDSA signatures are randomised: a client that signs per request sends a
  // new token every time, which APNs punishes.
  ProviderAuth auth(*verifier_, true);
  EXPECT_EQ(describe(auth.check(token(kNow), kNow)), "OK");
  EXPECT_EQ(describe(auth.check(token(kNow), kNow)), "429 TooManyProviderTokenUpdates");
}

TEST_F(ProviderAuthTest, UpdateLimitCanBeSwitchedOff) {
  ProviderAuth auth(*verifier_, false);
  EXPECT_EQ(describe(auth.check(token(kNow), kNow)), "OK");
  EXPECT_EQ(describe(auth.check(token(kNow + 1), kNow + 1)), "OK");
}

TEST_F(ProviderAuthTest, InvalidTokenDoesNotReplaceTheCurrentOne) {
  ProviderAuth auth(*verifier_, true);
  std::string good = token(kNow);
  EXPECT_EQ(describe(auth.check(good, kNow)), "OK");
  EXPECT_EQ(describe(auth.check(good + "x", kNow)), "403 InvalidProviderToken");
  EXPECT_EQ(describe(auth.check(good, kNow)), "OK");
}

}  // namespace
}  // namespace herald::apns_sim
