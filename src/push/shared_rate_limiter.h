// The per-token rate limit (rate_limiter.h's rules: send, hold one to the
// window's end, absorb the rest) shared by every Herald node through Redis,
// so a token published through two nodes is limited once, not per node.
//
// Windows live in Redis (store::RedisWindows) under a keyed hash of the
// token: HMAC-SHA-256 with `key_secret`, which every node of the domain must
// share, so Redis never sees a token. The node that gets `hold` keeps the
// held push and restarts the window when it sends it; `absorb` on another
// node folds that publish into the held one (its `important` flag is not
// carried across nodes).
//
// When Redis is unreachable each node falls back to its own RateLimiter and
// says so in the log once; once more when Redis answers again. Calls block
// for at most RedisOptions::timeout, and only once per retry interval while
// Redis is down (see redis_windows.h). One thread (the app server's).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "push/rate_limiter.h"
#include "store/redis_windows.h"

namespace herald::push {

class SharedRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  SharedRateLimiter(RateLimitConfig config, store::RedisOptions redis, std::string key_secret);

  RateVerdict check(std::string_view token, TimePoint now);
  void release(std::string_view token, TimePoint now);

  // Whether the last call used Redis (false: per-node fallback).
  bool shared() const { return shared_; }

 private:
  std::string key_of(std::string_view token) const;
  void note(bool reachable);

  RateLimitConfig config_;
  store::RedisWindows redis_;
  std::string key_secret_;
  RateLimiter local_;
  bool shared_ = true;
};

}  // namespace herald::push
