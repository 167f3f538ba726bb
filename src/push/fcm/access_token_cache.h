// Caches the OAuth2 access token an FCM module sends as its bearer token.
//
// Contract: one event loop, no locks. get() hands out the cached token while
// more than the refresh margin (a quarter of its lifetime, at most 5 min) is
// left, else starts one fetch; callers arriving while that fetch is in flight
// wait for it instead of starting their own. A failed fetch fails every waiter
// and starts a back-off (1 s doubling to 60 s) during which get() fails at once
// without fetching, so a broken token endpoint is not hammered. invalidate()
// drops the cached token if it is the one given (a 401 on a send proves it is
// no longer accepted); a refusal of an older token does nothing. The fetch
// function and the clock are injected so tests need no network or sleeping.
// Callbacks run synchronously from get() when a token is cached, else from the
// fetch's completion; they never run after the cache is destroyed.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "push/fcm/service_account.h"

namespace herald::push::fcm {

class AccessTokenCache {
 public:
  using Clock = std::chrono::steady_clock;
  struct FetchResult {
    std::optional<AccessToken> token;
    std::string error;  // when !token: a short local cause, no secrets
  };
  using FetchDone = std::function<void(FetchResult)>;
  using Fetch = std::function<void(FetchDone)>;
  // `token` is empty exactly when the fetch failed; `error` then says why.
  using Ready = std::function<void(const std::string& token, const std::string& error)>;

  explicit AccessTokenCache(Fetch fetch, std::function<Clock::time_point()> now = &Clock::now);
  ~AccessTokenCache();
  AccessTokenCache(const AccessTokenCache&) = delete;
  AccessTokenCache& operator=(const AccessTokenCache&) = delete;

  void get(Ready ready);
  void invalidate(std::string_view refused);

  int fetches_started() const { return fetches_started_; }

 private:
  void on_fetched(FetchResult result);

  Fetch fetch_;
  std::function<Clock::time_point()> now_;
  std::string token_;
  Clock::time_point refresh_at_{};
  bool in_flight_ = false;
  std::vector<Ready> waiters_;
  int failures_ = 0;
  Clock::time_point retry_at_{};
  int fetches_started_ = 0;
  std::shared_ptr<AccessTokenCache*> self_;
};

}  // namespace herald::push::fcm
