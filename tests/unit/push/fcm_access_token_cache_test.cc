// The access-token cache with a fake fetch and a fake clock.
#include "push/fcm/access_token_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace herald::push::fcm {
namespace {

using namespace std::chrono_literals;

struct Harness {
  AccessTokenCache::Clock::time_point now{std::chrono::hours(1)};
  std::vector<AccessTokenCache::FetchDone> pending;
  AccessTokenCache cache{[this](AccessTokenCache::FetchDone done) { pending.push_back(done); },
                         [this] { return now; }};
  std::vector<std::string> got;
  std::vector<std::string> errors;

  void get() {
    cache.get([this](const std::string& token, const std::string& error) {
      got.push_back(token);
      errors.push_back(error);
    });
  }
  void answer(std::string token, std::chrono::seconds lifetime) {
    auto done = pending.front();
    pending.erase(pending.begin());
    done({AccessToken{std::move(token), lifetime}, {}});
  }
  void fail(std::string why) {
    auto done = pending.front();
    pending.erase(pending.begin());
    done({std::nullopt, std::move(why)});
  }
};

TEST(FcmAccessTokenCache, OneFetchServesEveryoneWaitingForIt) {
  Harness h;
  h.get();
  h.get();
  h.get();
  EXPECT_EQ(h.pending.size(), 1u);
  EXPECT_TRUE(h.got.empty());
  h.answer("t1", 3600s);
  EXPECT_EQ(h.got, (std::vector<std::string>{"t1", "t1", "t1"}));
  h.get();  // cached: answered at once, no fetch
  EXPECT_EQ(h.got.back(), "t1");
  EXPECT_EQ(h.cache.fetches_started(), 1);
}

TEST(FcmAccessTokenCache, RefreshesBeforeExpiry) {
  Harness h;
  h.get();
  h.answer("t1", 3600s);
  h.now += 3299s;  // margin is 5 min for a one-hour token
  h.get();
  EXPECT_EQ(h.got.back(), "t1");
  EXPECT_TRUE(h.pending.empty());
  h.now += 2s;
  h.get();
  ASSERT_EQ(h.pending.size(), 1u);
  h.answer("t2", 3600s);
  EXPECT_EQ(h.got.back(), "t2");
  EXPECT_EQ(h.cache.fetches_started(), 2);
}

TEST(FcmAccessTokenCache, ShortLivedTokensRefreshAtThreeQuarters) {
  Harness h;
  h.get();
  h.answer("t1", 4s);
  h.now += 2900ms;
  h.get();
  EXPECT_TRUE(h.pending.empty());
  h.now += 200ms;
  h.get();
  EXPECT_EQ(h.pending.size(), 1u);
}

TEST(FcmAccessTokenCache, InvalidateDropsOnlyTheRefusedToken) {
  Harness h;
  h.get();
  h.answer("t1", 3600s);
  h.cache.invalidate("old-token");  // someone refused an older one: keep t1
  h.get();
  EXPECT_TRUE(h.pending.empty());
  h.cache.invalidate("t1");
  h.get();
  ASSERT_EQ(h.pending.size(), 1u);
  h.answer("t2", 3600s);
  EXPECT_EQ(h.got.back(), "t2");
}

TEST(FcmAccessTokenCache, FailedFetchFailsWaitersAndBacksOff) {
  Harness h;
  h.get();
  h.get();
  h.fail("token endpoint status 400 invalid_grant");
  EXPECT_EQ(h.got, (std::vector<std::string>{"", ""}));
  EXPECT_EQ(h.errors[0], "token endpoint status 400 invalid_grant");
  h.get();  // within the 1 s back-off: fails without fetching
  EXPECT_TRUE(h.pending.empty());
  EXPECT_EQ(h.got.back(), "");
  EXPECT_EQ(h.cache.fetches_started(), 1);
  h.now += 1100ms;
  h.get();
  ASSERT_EQ(h.pending.size(), 1u);
  h.answer("t1", 3600s);
  EXPECT_EQ(h.got.back(), "t1");
}

}  // namespace
}  // namespace herald::push::fcm
