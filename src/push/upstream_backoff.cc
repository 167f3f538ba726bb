#include "push/upstream_backoff.h"

#include <algorithm>

#include "base/crypto.h"

namespace herald::push {

const char* UpstreamBackoff::refusal(std::string_view token, Clock::time_point now) {
  if (module_paused(now)) return "push service failing, backing off";
  // Most of the time nothing is paused: no hashing on the hot path then.
  if (token_paused_until_.empty()) return nullptr;
  std::erase_if(token_paused_until_, [now](const auto& entry) { return entry.second <= now; });
  if (token_paused_until_.contains(sha256(token))) return "too many pushes to this device";
  return nullptr;
}

void UpstreamBackoff::record(std::string_view token, const UpstreamResult& result,
                             Clock::time_point now) {
  if (result.status == UpstreamStatus::throttled) {
    token_paused_until_[sha256(token)] = now + config_.token_pause;
    return;
  }
  record_module(result, now);
}

void UpstreamBackoff::record_module(const UpstreamResult& result, Clock::time_point now) {
  if (result.status == UpstreamStatus::unavailable && result.http_status >= 500) {
    if (++failures_in_a_row_ < config_.failures_before_pause) return;
    next_module_pause_ = next_module_pause_ == Clock::duration::zero()
                             ? config_.first_module_pause
                             : std::min(next_module_pause_ * 2, config_.max_module_pause);
    module_paused_until_ = now + next_module_pause_;
    return;
  }
  if (result.status == UpstreamStatus::delivered) {
    failures_in_a_row_ = 0;
    next_module_pause_ = Clock::duration::zero();
  }
}

}  // namespace herald::push
