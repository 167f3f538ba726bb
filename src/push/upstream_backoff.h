// Backing off when an upstream says "not now", as docs/protocol.md asks for 429
// and 5xx. A 429 (TooManyRequests, or FCM QUOTA_EXCEEDED) is about one
// device token: further pushes to it are answered `wait` at once, without
// calling Apple or Google, until the token's pause ends. Consecutive 5xx
// answers pause the whole module, with a delay that doubles up to a ceiling,
// so Herald does not hammer a service that is failing; one delivery ends it.
// `wait` keeps every registration: the user's next message retries.
//
// Tokens are kept only as SHA-256 hashes, and only while paused. One object
// per push module, used from the event loop's thread.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "push/upstream.h"

namespace herald::push {

struct BackoffConfig {
  std::chrono::steady_clock::duration token_pause = std::chrono::seconds(60);
  // 5xx answers in a row before the module pauses.
  int failures_before_pause = 3;
  std::chrono::steady_clock::duration first_module_pause = std::chrono::seconds(1);
  std::chrono::steady_clock::duration max_module_pause = std::chrono::seconds(60);
};

class UpstreamBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  explicit UpstreamBackoff(BackoffConfig config = {}) : config_(config) {}

  // Why a push to `token` must not be sent now, or nullptr if it may be.
  const char* refusal(std::string_view token, Clock::time_point now);

  // Learns from one upstream answer for `token`.
  void record(std::string_view token, const UpstreamResult& result, Clock::time_point now);
  // The module-wide part of record() alone (no token is remembered), for
  // readiness, which follows the same rule (status/metered_upstream.h).
  void record_module(const UpstreamResult& result, Clock::time_point now);

  bool module_paused(Clock::time_point now) const { return now < module_paused_until_; }
  // Enough 5xx answers in a row to pause the module, and no delivery since
  // (true between pauses too).
  bool module_failing() const { return failures_in_a_row_ >= config_.failures_before_pause; }
  size_t paused_tokens() const { return token_paused_until_.size(); }

 private:
  BackoffConfig config_;
  std::map<std::string, Clock::time_point, std::less<>> token_paused_until_;  // by SHA-256
  int failures_in_a_row_ = 0;
  Clock::duration next_module_pause_{};
  Clock::time_point module_paused_until_{};
};

}  // namespace herald::push
