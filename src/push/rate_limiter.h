// Per-token push rate limit with coalescing (docs/protocol.md "What to answer").
//
// Within one window per token: the first push goes out at once (send_now);
// the next is held to the window's end (hold, exactly one per token); any
// further ones are absorbed into the held one (absorb). When the caller sends
// the held push at the window's end it calls release(), which starts a new
// window. Every decision is answered with an IQ result by the caller.
//
// Pure logic: time is passed in. Memory is bounded: entries are keyed by a
// keyed hash of the token (never the token), drop out once their window has
// passed, and the oldest are evicted beyond `max_entries`. An evicted token
// only loses its limit (it may get one extra push), nothing else.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/crypto.h"

namespace herald::push {

struct RateLimitConfig {
  std::chrono::steady_clock::duration window = std::chrono::seconds(20);
  size_t max_entries = 100000;
};

enum class RateDecision { send_now, hold, absorb };

struct RateVerdict {
  RateDecision decision;
  // For hold: when to send the held push (the window's end).
  std::chrono::steady_clock::time_point send_at{};
};

class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit RateLimiter(RateLimitConfig config);

  RateVerdict check(std::string_view token, TimePoint now);
  // The held push of this token was sent at `now`: a new window starts.
  void release(std::string_view token, TimePoint now);

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    TimePoint window_start;
    bool held = false;
    std::list<uint64_t>::iterator order;  // position in order_
  };
  // A collision (two tokens sharing a limit) needs ~2^32 live entries to
  // become likely; max_entries stays far below.
  using Key = uint64_t;

  void start_window(Key key, TimePoint now);
  void expire(TimePoint now);

  RateLimitConfig config_;
  KeyedHash key_of_;  // per process, so keys mean nothing outside it
  std::unordered_map<Key, Entry> entries_;
  // Keys by window start, oldest first (a new window moves a key to the back).
  std::list<Key> order_;
};

}  // namespace herald::push
