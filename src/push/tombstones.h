// The set of device tokens an upstream reported dead, so Herald refuses
// further publishes to them at once instead of hammering APNs/FCM.
//
// Keyed by SHA-256 of the token (unkeyed, so an operator's clear command can
// find an entry from the token alone); each entry is dead until a time.
// Loaded from the store at construction and written through on every change.
// Used from one thread (the app server's event loop).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/tombstone_store.h"

namespace herald::push {

class Tombstones {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit Tombstones(store::TombstoneStore& store);

  bool is_dead(std::string_view token, TimePoint now) const;
  // The same, from the token's SHA-256 (32 raw bytes) when the caller has it.
  bool is_dead_hashed(const std::string& token_sha256, TimePoint now) const;
  void bury(std::string_view token, TimePoint until);
  // Forgets a tombstone (e.g. one made by mistake). Returns whether one existed.
  bool clear(std::string_view token);
  // Drops expired tombstones from memory and store.
  void purge_expired(TimePoint now);

  size_t size() const { return dead_until_.size(); }

 private:
  store::TombstoneStore& store_;
  std::unordered_map<std::string, TimePoint> dead_until_;  // SHA-256 → until
};

}  // namespace herald::push
