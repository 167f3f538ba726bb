#include "xmpp/s2s/s2s_policy.h"

#include <algorithm>

namespace herald::xmpp {
namespace {

std::string lowercase(std::string_view in) {
  std::string s(in);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

// Buckets untouched this long are full again anyway; dropping them is exact.
constexpr auto kSweepEvery = std::chrono::seconds(60);

}  // namespace

S2sPolicy::S2sPolicy(const S2sConfig& config)
    : rate_(config.domain_request_rate), burst_(std::max(1.0, config.domain_request_burst)) {
  for (const auto& d : config.allow_domains) allow_.insert(lowercase(d));
  for (const auto& d : config.deny_domains) deny_.insert(lowercase(d));
}

bool S2sPolicy::domain_allowed(std::string_view domain) const {
  std::string d = lowercase(domain);
  if (deny_.contains(d)) return false;
  return allow_.empty() || allow_.contains(d);
}

bool S2sPolicy::admit_request(std::string_view domain, Clock::time_point now) {
  if (rate_ <= 0) return true;
  if (now - last_sweep_ >= kSweepEvery) {
    last_sweep_ = now;
    std::erase_if(buckets_, [&](const auto& entry) {
      const Bucket& b = entry.second;
      double seconds = std::chrono::duration<double>(now - b.updated).count();
      return b.tokens + seconds * rate_ >= burst_;
    });
  }
  std::string d = lowercase(domain);
  auto it = buckets_.find(d);
  if (it == buckets_.end()) it = buckets_.emplace(d, Bucket{burst_, now}).first;
  Bucket& b = it->second;
  double seconds = std::chrono::duration<double>(now - b.updated).count();
  if (seconds > 0) {
    b.tokens = std::min(burst_, b.tokens + seconds * rate_);
    b.updated = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace herald::xmpp
