#include "turn/ip_rate_limiter.h"

#include <gtest/gtest.h>

namespace herald::turn {
namespace {

TEST(IpRateLimiter, LimitsPerAddressPerWindow) {
  IpRateLimiter limiter(3, std::chrono::seconds(60));
  int64_t retry = 0;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("192.0.2.1", 1000, &retry));
  EXPECT_FALSE(limiter.allow("192.0.2.1", 1010, &retry));
  EXPECT_EQ(retry, 50);
  EXPECT_TRUE(limiter.allow("192.0.2.2", 1010, &retry));  // another address
  EXPECT_TRUE(limiter.allow("192.0.2.1", 1060, &retry));  // the next window
}

TEST(IpRateLimiter, ForgetsAddressesWhenTheirWindowEnds) {
  IpRateLimiter limiter(3, std::chrono::seconds(60));
  int64_t retry = 0;
  limiter.allow("192.0.2.1", 1000, &retry);
  limiter.allow("192.0.2.2", 1030, &retry);
  EXPECT_EQ(limiter.tracked(), 2u);
  limiter.allow("192.0.2.3", 1060, &retry);
  EXPECT_EQ(limiter.tracked(), 2u);  // 192.0.2.1's window ended
  limiter.allow("192.0.2.3", 1200, &retry);
  EXPECT_EQ(limiter.tracked(), 1u);
}

TEST(IpRateLimiter, FailsClosedWhenFullAndZeroDisables) {
  IpRateLimiter limiter(3, std::chrono::seconds(60), 2);
  int64_t retry = 0;
  EXPECT_TRUE(limiter.allow("a", 1000, &retry));
  EXPECT_TRUE(limiter.allow("b", 1000, &retry));
  EXPECT_FALSE(limiter.allow("c", 1000, &retry));
  EXPECT_EQ(retry, 60);
  IpRateLimiter off(0, std::chrono::seconds(60));
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(off.allow("a", 1000, &retry));
}

}  // namespace
}  // namespace herald::turn
