#include "turn/challenge_store.h"

#include "base/crypto.h"
#include "base/encoding.h"

namespace herald::turn {

ChallengeStore::ChallengeStore(std::chrono::seconds lifetime, size_t max_outstanding)
    : lifetime_(lifetime), max_outstanding_(max_outstanding) {}

void ChallengeStore::purge(int64_t now) {
  while (!by_expiry_.empty() && by_expiry_.front().first < now) {
    entries_.erase(by_expiry_.front().second);
    by_expiry_.pop_front();
  }
}

std::optional<Challenge> ChallengeStore::issue(int64_t now) {
  purge(now);
  if (entries_.size() >= max_outstanding_) return std::nullopt;
  Challenge c;
  c.value = base64url_encode(random_bytes(32));
  c.valid_until = now + lifetime_.count();
  // The clock may step back; keep the deque ordered so purge() stays correct.
  if (!by_expiry_.empty() && by_expiry_.back().first > c.valid_until)
    c.valid_until = by_expiry_.back().first;
  entries_.emplace(c.value, Entry{c.valid_until, false});
  by_expiry_.emplace_back(c.valid_until, c.value);
  return c;
}

Redeem ChallengeStore::redeem(const std::string& value, int64_t valid_until, int64_t now) {
  purge(now);
  auto it = entries_.find(value);
  if (it == entries_.end() || it->second.valid_until != valid_until) {
    return valid_until < now ? Redeem::expired : Redeem::unknown;
  }
  if (it->second.valid_until < now) return Redeem::expired;
  if (it->second.used) return Redeem::used;
  it->second.used = true;
  return Redeem::ok;
}

}  // namespace herald::turn
