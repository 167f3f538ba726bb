#include "push/shared_rate_limiter.h"

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/log.h"

namespace herald::push {

namespace {

using std::chrono::milliseconds;

// How long a marked window outlives its end: time for the holding node's
// timer to fire and restart it before another node could open a new one.
constexpr milliseconds kGrace{2000};

milliseconds to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<milliseconds>(d);
}

}  // namespace

SharedRateLimiter::SharedRateLimiter(asio::any_io_executor loop, RateLimitConfig config,
                                     store::RedisOptions redis, std::string key_secret)
    : config_(config),
      redis_(std::move(loop), std::move(redis)),
      key_secret_(std::move(key_secret)),
      local_(config) {}

std::string SharedRateLimiter::key_of(std::string_view token) const {
  return "rl:" + hex_encode(hmac_sha256(key_secret_, token).substr(0, 16));
}

void SharedRateLimiter::note(bool reachable) {
  if (reachable == shared_) return;
  shared_ = reachable;
  if (reachable)
    log::info("rate limit: Redis reachable again, per-token limits shared across nodes");
  else
    log::warn("rate limit: Redis unreachable ({}), falling back to per-node limits",
              redis_.error());
}

void SharedRateLimiter::check(std::string_view token, TimePoint now,
                              std::function<void(RateVerdict)> done) {
  if (config_.window <= std::chrono::steady_clock::duration::zero())
    return done(local_.check(token, now));
  // The limiter outlives the loop's handlers (the server owns both), and a
  // destroyed RedisWindows drops its unanswered calls.
  redis_.advance(key_of(token), to_ms(config_.window), kGrace,
                 [this, token = std::string(token), now,
                  done = std::move(done)](std::optional<store::RedisWindows::Outcome> outcome) {
                   note(outcome.has_value());
                   if (!outcome) return done(local_.check(token, now));
                   switch (outcome->step) {
                     case store::RedisWindows::Step::opened:
                       return done({RateDecision::send_now});
                     case store::RedisWindows::Step::marked:
                       return done({RateDecision::hold, now + outcome->remaining});
                     case store::RedisWindows::Step::already_marked:
                       break;
                   }
                   done({RateDecision::absorb});
                 });
}

void SharedRateLimiter::release(std::string_view token, TimePoint now) {
  if (config_.window <= std::chrono::steady_clock::duration::zero())
    return local_.release(token, now);
  redis_.restart(key_of(token), to_ms(config_.window),
                 [this, token = std::string(token), now](bool ok) {
                   note(ok);
                   if (!ok) local_.release(token, now);
                 });
}

}  // namespace herald::push
