#include "turn/ip_rate_limiter.h"

#include "base/crypto.h"

namespace herald::turn {

IpRateLimiter::IpRateLimiter(size_t max_requests, std::chrono::seconds window, size_t max_entries)
    : max_requests_(max_requests),
      window_(window),
      max_entries_(max_entries),
      key_(random_bytes(32)) {}

void IpRateLimiter::purge(int64_t now) {
  while (!by_end_.empty() && by_end_.front().first <= now) {
    auto it = counts_.find(by_end_.front().second);
    if (it != counts_.end() && it->second.window_end <= now) counts_.erase(it);
    by_end_.pop_front();
  }
}

bool IpRateLimiter::allow(std::string_view address, int64_t now, int64_t* retry_after) {
  if (max_requests_ == 0) return true;
  purge(now);
  std::string id = hmac_sha256(key_, address).substr(0, 16);
  auto it = counts_.find(id);
  if (it == counts_.end()) {
    if (counts_.size() >= max_entries_) {
      *retry_after = by_end_.empty() ? 1 : std::max<int64_t>(1, by_end_.front().first - now);
      return false;
    }
    int64_t end = now + window_.count();
    if (!by_end_.empty() && by_end_.back().first > end) end = by_end_.back().first;
    counts_.emplace(id, Entry{end, 1});
    by_end_.emplace_back(end, id);
    return true;
  }
  if (it->second.count >= max_requests_) {
    *retry_after = std::max<int64_t>(1, it->second.window_end - now);
    return false;
  }
  ++it->second.count;
  return true;
}

}  // namespace herald::turn
