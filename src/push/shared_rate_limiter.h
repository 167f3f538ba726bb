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
// Asynchronous: check() answers through `done` on the loop, within
// RedisOptions::timeout (50 ms by default). When Redis is unreachable or
// does not answer in time, this node's own RateLimiter decides instead, and
// the log says so once; once more when Redis answers again. While Redis is
// known down (redis_windows.h) the answer comes at once, before check()
// returns. One loop (the app server's).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "push/rate_limiter.h"
#include "store/redis_windows.h"

namespace herald::push {

class SharedRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  SharedRateLimiter(asio::any_io_executor loop, RateLimitConfig config, store::RedisOptions redis,
                    std::string key_secret);

  void check(std::string_view token, TimePoint now, std::function<void(RateVerdict)> done);
  void release(std::string_view token, TimePoint now);

  // Whether the last answer came from Redis (false: per-node fallback).
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
