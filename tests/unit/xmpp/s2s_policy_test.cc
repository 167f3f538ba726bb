#include "xmpp/s2s/s2s_policy.h"

#include <gtest/gtest.h>

namespace herald::xmpp {
namespace {

using namespace std::chrono_literals;

TEST(S2sPolicy, EveryDomainAllowedByDefault) {
  S2sPolicy p{S2sConfig{}};
  EXPECT_TRUE(p.domain_allowed("user.example"));
}

TEST(S2sPolicy, DenyListWinsAndCaseDoesNotMatter) {
  S2sConfig c;
  c.allow_domains = {"User.Example", "spam.example"};
  c.deny_domains = {"SPAM.example"};
  S2sPolicy p{c};
  EXPECT_TRUE(p.domain_allowed("user.example"));
  EXPECT_TRUE(p.domain_allowed("USER.EXAMPLE"));
  EXPECT_FALSE(p.domain_allowed("spam.example"));
  EXPECT_FALSE(p.domain_allowed("other.example")) << "not on a non-empty allow list";
}

TEST(S2sPolicy, DenyListAlone) {
  S2sConfig c;
  c.deny_domains = {"spam.example"};
  S2sPolicy p{c};
  EXPECT_FALSE(p.domain_allowed("spam.example"));
  EXPECT_TRUE(p.domain_allowed("user.example"));
}

TEST(S2sPolicy, RateLimitPerDomainRefillsOverTime) {
  S2sConfig c;
  c.domain_request_rate = 2;  // per second
  c.domain_request_burst = 3;
  S2sPolicy p{c};
  auto t0 = S2sPolicy::Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(p.admit_request("a.example", t0)) << i;
  EXPECT_FALSE(p.admit_request("a.example", t0)) << "burst used up";
  EXPECT_TRUE(p.admit_request("b.example", t0)) << "other domains have their own bucket";
  EXPECT_FALSE(p.admit_request("a.example", t0 + 400ms)) << "0.8 tokens so far";
  EXPECT_TRUE(p.admit_request("a.example", t0 + 500ms));
  EXPECT_FALSE(p.admit_request("A.EXAMPLE", t0 + 500ms)) << "same bucket whatever the case";
  EXPECT_TRUE(p.admit_request("a.example", t0 + 10s));
}

TEST(S2sPolicy, ZeroRateMeansNoLimitAndIdleBucketsAreForgotten) {
  S2sConfig off;
  off.domain_request_rate = 0;
  S2sPolicy unlimited{off};
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(unlimited.admit_request("a.example"));

  S2sConfig c;
  c.domain_request_rate = 10;
  c.domain_request_burst = 10;
  S2sPolicy p{c};
  auto t0 = S2sPolicy::Clock::time_point{} + 1h;
  for (int i = 0; i < 100; ++i) p.admit_request("d" + std::to_string(i) + ".example", t0);
  EXPECT_EQ(p.tracked_domains(), 100u);
  p.admit_request("late.example", t0 + 2min);
  EXPECT_EQ(p.tracked_domains(), 1u);
}

}  // namespace
}  // namespace herald::xmpp
