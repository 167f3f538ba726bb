// Durable storage for tombstones: device tokens an upstream (APNs, FCM)
// reported dead, so Herald stops sending to them across restarts. Only the
// SHA-256 of the token and the time until which it counts as dead are kept
// (docs/privacy.md promise 3); never the token itself.
//
// Implementations are used from one thread. Failures are logged by the
// implementation and reported as false; the in-memory set stays authoritative
// for the running process.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace herald::store {

struct Tombstone {
  std::string token_hash;  // 32 raw bytes, SHA-256 of the token
  std::chrono::system_clock::time_point until;
};

class TombstoneStore {
 public:
  virtual ~TombstoneStore() = default;
  virtual std::vector<Tombstone> load_all() = 0;
  // Inserts or replaces the tombstone for this hash.
  virtual bool put(std::string_view token_hash, std::chrono::system_clock::time_point until) = 0;
  virtual bool erase(std::string_view token_hash) = 0;
  // Deletes tombstones whose `until` is at or before `now`; returns how many.
  virtual size_t purge_expired(std::chrono::system_clock::time_point now) = 0;
};

}  // namespace herald::store
