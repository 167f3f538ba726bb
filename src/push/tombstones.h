// The set of device tokens an upstream reported dead, so Herald refuses
// further publishes to them at once instead of hammering APNs/FCM.
//
// Keyed by SHA-256 of the token (unkeyed, so an operator's clear command can
// find an entry from the token alone); each entry is dead until a time.
// The set in memory is authoritative for this process: lookups never touch
// the store. Loaded from the store at start-up (load(), which waits), and
// written behind: every change is applied in memory at once and saved by
// asynchronous batches, one at a time (so changes reach the store in order),
// the latest change per hash winning. A batch the store refuses (down,
// timed out) stays and is tried again every `retry_interval`, so a
// tombstone buried during an outage reaches the store once it is back; at
// most `max_unsaved` changes wait (beyond that, a change is kept in memory
// only, with one warning per outage).
//
// Used from one thread (the event loop whose executor it was given); the
// store's Database must outlive the loop's last handler run.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/tombstone_store.h"

namespace herald::push {

struct TombstonesOptions {
  std::chrono::milliseconds retry_interval{5000};
  size_t max_unsaved = 100000;
  size_t batch = 1000;  // changes per store job
};

class Tombstones {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  Tombstones(asio::any_io_executor loop, store::TombstoneStore& store,
             TombstonesOptions options = {});
  ~Tombstones();
  Tombstones(const Tombstones&) = delete;
  Tombstones& operator=(const Tombstones&) = delete;

  // Start-up only (waits for the store): replaces the set with the stored one.
  Status load();

  bool is_dead(std::string_view token, TimePoint now) const;
  // The same, from the token's SHA-256 (32 raw bytes) when the caller has it.
  bool is_dead_hashed(const std::string& token_sha256, TimePoint now) const;
  void bury(std::string_view token, TimePoint until);
  // Forgets a tombstone (one made by mistake, or a GDPR erasure), in memory
  // and in the store. Returns whether this process had it.
  bool clear(std::string_view token);
  bool clear_hashed(const std::string& token_sha256);
  // Drops expired tombstones from memory, and from the store.
  void purge_expired(TimePoint now);

  size_t size() const { return dead_until_.size(); }
  // Changes not yet in the store (waiting, or in the batch being written).
  size_t unsaved() const { return unsaved_.size(); }

 private:
  struct Change {
    std::optional<TimePoint> until;  // nullopt: erase
    uint64_t seq;                    // which change this is, to tell newer ones apart
  };
  void change(const std::string& hash, std::optional<TimePoint> until);
  void save();
  void saved(const std::vector<std::pair<std::string, uint64_t>>& batch, const Status& status);

  asio::any_io_executor loop_;
  store::TombstoneStore& store_;
  TombstonesOptions options_;
  std::unordered_map<std::string, TimePoint> dead_until_;  // SHA-256 → until
  std::unordered_map<std::string, Change> unsaved_;
  uint64_t seq_ = 0;
  bool saving_ = false;       // a batch is with the store
  bool failing_ = false;      // the last batch failed (one warning per outage)
  bool retry_armed_ = false;  // failing: the next batch waits for retry_
  bool overflow_logged_ = false;
  asio::steady_timer retry_;
  // Store answers hold a weak_ptr: once this is gone they do nothing.
  std::shared_ptr<Tombstones*> self_;
};

}  // namespace herald::push
