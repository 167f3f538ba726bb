#include "push/tombstones.h"

#include <algorithm>

#include "base/crypto.h"
#include "base/log.h"

namespace herald::push {

Tombstones::Tombstones(store::TombstoneStore& store) : store_(store) {
  for (auto& t : store_.load_all()) dead_until_[std::move(t.token_hash)] = t.until;
}

bool Tombstones::is_dead(std::string_view token, TimePoint now) const {
  return is_dead_hashed(sha256(token), now);
}

bool Tombstones::is_dead_hashed(const std::string& token_sha256, TimePoint now) const {
  auto it = dead_until_.find(token_sha256);
  return it != dead_until_.end() && now < it->second;
}

void Tombstones::bury(std::string_view token, TimePoint until) {
  std::string hash = sha256(token);
  dead_until_[hash] = until;
  if (!store_.put(hash, until))
    log::warn("tombstone for {} kept in memory only: store write failed", log::fingerprint(token));
}

bool Tombstones::clear(std::string_view token) {
  std::string hash = sha256(token);
  bool existed = dead_until_.erase(hash) > 0;
  store_.erase(hash);
  return existed;
}

void Tombstones::purge_expired(TimePoint now) {
  std::erase_if(dead_until_, [&](const auto& entry) { return entry.second <= now; });
  store_.purge_expired(now);
}

}  // namespace herald::push
