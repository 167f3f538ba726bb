#include "push/rate_limiter.h"

#include "base/crypto.h"

namespace herald::push {

RateLimiter::RateLimiter(RateLimitConfig config) : config_(config) {
  if (config_.max_entries == 0) config_.max_entries = 1;
}

void RateLimiter::start_window(Key key, TimePoint now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    expire(now);
    while (entries_.size() >= config_.max_entries) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(key);
    entries_.emplace(key, Entry{now, false, std::prev(order_.end())});
    return;
  }
  it->second.window_start = now;
  it->second.held = false;
  order_.splice(order_.end(), order_, it->second.order);
}

// Drops entries whose window is over, oldest first. A held entry stops the
// sweep: it is released (and moved to the back) at its window's end anyway.
void RateLimiter::expire(TimePoint now) {
  while (!order_.empty()) {
    auto it = entries_.find(order_.front());
    if (it->second.held || now < it->second.window_start + config_.window) break;
    entries_.erase(it);
    order_.pop_front();
  }
}

RateVerdict RateLimiter::check(std::string_view token, TimePoint now) {
  Key key = key_of_(token);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    Entry& e = it->second;
    // Held: the caller still owes the held push, whatever the clock says.
    if (e.held) return {RateDecision::absorb};
    TimePoint end = e.window_start + config_.window;
    if (now < end) {
      e.held = true;
      return {RateDecision::hold, end};
    }
  }
  start_window(key, now);
  return {RateDecision::send_now};
}

void RateLimiter::release(std::string_view token, TimePoint now) {
  start_window(key_of_(token), now);
}

}  // namespace herald::push
