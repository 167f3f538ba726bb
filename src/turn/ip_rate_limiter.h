// Per-client request limit for the credential API: at most `max_requests`
// per fixed window of `window` per client address.
//
// Privacy (docs/privacy.md "TURN fallback"): the address itself is never kept.
// Entries are keyed by HMAC-SHA256(random per-process key, address),
// truncated to 16 bytes, and an entry is dropped as soon as its window has
// passed, so the hash lives in memory for the window only. At most
// `max_entries` clients are tracked; beyond that new clients are refused
// (fail closed) until windows pass. Times are unix seconds (passed in).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace herald::turn {

class IpRateLimiter {
 public:
  IpRateLimiter(size_t max_requests, std::chrono::seconds window, size_t max_entries = 100000);

  // True if the request may proceed; otherwise *retry_after says when the
  // window ends (seconds from now, at least 1).
  bool allow(std::string_view address, int64_t now, int64_t* retry_after);
  size_t tracked() const { return counts_.size(); }
  bool enabled() const { return max_requests_ > 0; }

 private:
  struct Entry {
    int64_t window_end;
    size_t count;
  };
  void purge(int64_t now);

  size_t max_requests_;  // 0: no limit
  std::chrono::seconds window_;
  size_t max_entries_;
  std::string key_;
  std::unordered_map<std::string, Entry> counts_;
  std::deque<std::pair<int64_t, std::string>> by_end_;
};

}  // namespace herald::turn
