#include "push/rate_limiter.h"

#include <gtest/gtest.h>

namespace herald::push {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

const TimePoint t0 = TimePoint(1000s);

TEST(RateLimiter, FirstSendsThenHoldsOneThenAbsorbs) {
  RateLimiter limiter({20s, 100});
  EXPECT_EQ(limiter.check("tok", t0).decision, RateDecision::send_now);
  RateVerdict second = limiter.check("tok", t0 + 1s);
  EXPECT_EQ(second.decision, RateDecision::hold);
  EXPECT_EQ(second.send_at, t0 + 20s);
  EXPECT_EQ(limiter.check("tok", t0 + 2s).decision, RateDecision::absorb);
  EXPECT_EQ(limiter.check("tok", t0 + 19s).decision, RateDecision::absorb);
  // Not yet released although the window is over: still one held push.
  EXPECT_EQ(limiter.check("tok", t0 + 21s).decision, RateDecision::absorb);
}

TEST(RateLimiter, ReleaseStartsANewWindow) {
  RateLimiter limiter({20s, 100});
  limiter.check("tok", t0);
  limiter.check("tok", t0 + 5s);
  limiter.release("tok", t0 + 20s);
  RateVerdict v = limiter.check("tok", t0 + 21s);
  EXPECT_EQ(v.decision, RateDecision::hold);
  EXPECT_EQ(v.send_at, t0 + 40s);
  limiter.release("tok", t0 + 40s);
  // Quiet for a whole window after the held one: sent at once again.
  EXPECT_EQ(limiter.check("tok", t0 + 60s).decision, RateDecision::send_now);
}

TEST(RateLimiter, PushAfterTheWindowIsSentAtOnce) {
  RateLimiter limiter({20s, 100});
  EXPECT_EQ(limiter.check("tok", t0).decision, RateDecision::send_now);
  EXPECT_EQ(limiter.check("tok", t0 + 20s).decision, RateDecision::send_now);
  EXPECT_EQ(limiter.check("tok", t0 + 39s).decision, RateDecision::hold);
}

TEST(RateLimiter, TokensAreIndependent) {
  RateLimiter limiter({20s, 100});
  EXPECT_EQ(limiter.check("a", t0).decision, RateDecision::send_now);
  EXPECT_EQ(limiter.check("b", t0).decision, RateDecision::send_now);
  EXPECT_EQ(limiter.check("a", t0).decision, RateDecision::hold);
  EXPECT_EQ(limiter.check("b", t0).decision, RateDecision::hold);
}

TEST(RateLimiter, ExpiredEntriesAreDropped) {
  RateLimiter limiter({20s, 100});
  for (int i = 0; i < 50; ++i) limiter.check("t" + std::to_string(i), t0);
  EXPECT_EQ(limiter.size(), 50u);
  limiter.check("late", t0 + 30s);
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(RateLimiter, HeldEntriesOutliveTheirWindowUntilReleased) {
  RateLimiter limiter({20s, 100});
  limiter.check("held", t0);
  limiter.check("held", t0 + 1s);
  limiter.check("other", t0 + 30s);
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_EQ(limiter.check("held", t0 + 31s).decision, RateDecision::absorb);
}

TEST(RateLimiter, MaximumEntriesEvictsOldest) {
  RateLimiter limiter({20s, 3});
  limiter.check("a", t0);
  limiter.check("b", t0 + 1s);
  limiter.check("c", t0 + 2s);
  limiter.check("d", t0 + 3s);
  EXPECT_EQ(limiter.size(), 3u);
  // "a" was evicted: it lost its limit; "d" kept it.
  EXPECT_EQ(limiter.check("d", t0 + 4s).decision, RateDecision::hold);
  EXPECT_EQ(limiter.check("a", t0 + 4s).decision, RateDecision::send_now);
  EXPECT_LE(limiter.size(), 3u);
}

}  // namespace
}  // namespace herald::push
