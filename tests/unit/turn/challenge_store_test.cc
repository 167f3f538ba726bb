#include "turn/challenge_store.h"

#include <gtest/gtest.h>

#include <set>

namespace herald::turn {
namespace {

TEST(ChallengeStore, IssuesRandomChallengesThatExpire) {
  ChallengeStore store(std::chrono::seconds(30), 10);
  auto a = store.issue(1000);
  auto b = store.issue(1000);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->value, b->value);
  EXPECT_GE(a->value.size(), 43u);  // 32 random bytes
  EXPECT_EQ(a->valid_until, 1030);
}

TEST(ChallengeStore, SingleUse) {
  ChallengeStore store(std::chrono::seconds(30), 10);
  auto c = store.issue(1000);
  EXPECT_EQ(store.redeem(c->value, c->valid_until, 1010), Redeem::ok);
  EXPECT_EQ(store.redeem(c->value, c->valid_until, 1011), Redeem::used);
  EXPECT_EQ(store.redeem(c->value, c->valid_until, 1031), Redeem::expired);
}

TEST(ChallengeStore, ExpiredUnknownAndMismatched) {
  ChallengeStore store(std::chrono::seconds(30), 10);
  auto c = store.issue(1000);
  EXPECT_EQ(store.redeem(c->value, c->valid_until, 1030), Redeem::ok);  // last valid second
  auto d = store.issue(1000);
  EXPECT_EQ(store.redeem(d->value, d->valid_until, 1031), Redeem::expired);
  EXPECT_EQ(store.redeem("never-issued", 1100, 1000), Redeem::unknown);
  EXPECT_EQ(store.redeem("never-issued", 900, 1000), Redeem::expired);
  auto e = store.issue(1000);
  EXPECT_EQ(store.redeem(e->value, e->valid_until + 100, 1000), Redeem::unknown);
  EXPECT_EQ(store.redeem(e->value, e->valid_until, 1000), Redeem::ok);  // mismatch did not use it
}

TEST(ChallengeStore, BoundedAndForgetsExpired) {
  ChallengeStore store(std::chrono::seconds(30), 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store.issue(1000));
  EXPECT_FALSE(store.issue(1010));  // full of valid challenges
  EXPECT_EQ(store.size(), 3u);
  EXPECT_TRUE(store.issue(1031));  // the first three expired and were dropped
  EXPECT_EQ(store.size(), 1u);
}

}  // namespace
}  // namespace herald::turn
