// The challenges handed out by GET /api/v1/challenge/new, in memory only.
//
// Contract: challenges are 32 bytes from the CSPRNG (base64url text), valid
// for `lifetime` from issue, and single-use: redeem() succeeds once, and a
// second attempt while the challenge is still valid is reported as `used`
// (after that, as expired). Memory is bounded: at most `max_outstanding`
// challenges are kept; expired ones are dropped as time passes, and when the
// store is full of valid ones issue() refuses (the caller answers 503)
// rather than forgetting challenges early. Times are unix seconds (passed in).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace herald::turn {

struct Challenge {
  std::string value;
  int64_t valid_until = 0;  // unix seconds; valid while now <= valid_until
};

enum class Redeem { ok, unknown, expired, used };

class ChallengeStore {
 public:
  ChallengeStore(std::chrono::seconds lifetime, size_t max_outstanding);

  std::optional<Challenge> issue(int64_t now);
  // `valid_until` is what the client echoes; a challenge we issued with a
  // different one is unknown. Any redeem of a known, valid challenge uses it
  // up, whether or not the caller then accepts the response.
  Redeem redeem(const std::string& value, int64_t valid_until, int64_t now);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    int64_t valid_until;
    bool used;
  };
  void purge(int64_t now);

  std::chrono::seconds lifetime_;
  size_t max_outstanding_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::pair<int64_t, std::string>> by_expiry_;  // issue order == expiry order
};

}  // namespace herald::turn
