#include "push/fcm/access_token_cache.h"

#include <algorithm>

namespace herald::push::fcm {
namespace {

constexpr std::chrono::seconds kMaxMargin{300};
constexpr std::chrono::seconds kMaxBackoff{60};

}  // namespace

AccessTokenCache::AccessTokenCache(Fetch fetch, std::function<Clock::time_point()> now)
    : fetch_(std::move(fetch)),
      now_(std::move(now)),
      self_(std::make_shared<AccessTokenCache*>(this)) {}

AccessTokenCache::~AccessTokenCache() = default;

void AccessTokenCache::get(Ready ready) {
  Clock::time_point now = now_();
  if (!token_.empty() && now < refresh_at_) {
    std::string token = token_;  // `ready` may invalidate it
    ready(token, {});
    return;
  }
  if (failures_ > 0 && now < retry_at_) {
    ready({}, "access token: backing off after a failed fetch");
    return;
  }
  waiters_.push_back(std::move(ready));
  if (in_flight_) return;
  in_flight_ = true;
  ++fetches_started_;
  std::weak_ptr<AccessTokenCache*> weak = self_;
  fetch_([weak](FetchResult result) {
    if (auto self = weak.lock()) (*self)->on_fetched(std::move(result));
  });
}

void AccessTokenCache::invalidate(std::string_view refused) {
  if (!refused.empty() && refused == token_) token_.clear();
}

void AccessTokenCache::on_fetched(FetchResult result) {
  in_flight_ = false;
  Clock::time_point now = now_();
  std::string error;
  if (result.token) {
    failures_ = 0;
    token_ = result.token->value;
    auto lifetime = std::chrono::duration_cast<Clock::duration>(result.token->expires_in);
    auto margin = std::min<Clock::duration>(lifetime / 4, kMaxMargin);
    refresh_at_ = now + lifetime - margin;
  } else {
    ++failures_;
    token_.clear();
    retry_at_ = now + std::min<std::chrono::seconds>(
                          kMaxBackoff, std::chrono::seconds(int64_t{1} << std::min(failures_ - 1, 6)));
    error = result.error.empty() ? "access token fetch failed" : result.error;
  }
  std::vector<Ready> waiters = std::move(waiters_);
  waiters_.clear();
  std::string token = token_;
  std::weak_ptr<AccessTokenCache*> weak = self_;
  for (auto& ready : waiters) {
    ready(token, error);
    if (weak.expired()) return;  // a waiter destroyed the cache (shutdown)
  }
}

}  // namespace herald::push::fcm
