// Durable storage for tombstones: device tokens an upstream (APNs, FCM)
// reported dead, so Herald stops sending to them across restarts. Only the
// SHA-256 of the token and the time until which it counts as dead are kept
// (docs/privacy.md promise 3); never the token itself.
//
// Asynchronous, on store::Database (either engine, push_schema.h): each call
// is one job; `done` runs on the executor given, within the database's
// answer_timeout(). A failure of the engine is a non-ok Status (unavailable,
// timeout), never an empty answer. Command-line tools wait with
// store::await(). The Database must outlive the calls' answers.
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/database.h"

namespace herald::store {

struct Tombstone {
  std::string token_hash;  // 32 raw bytes, SHA-256 of the token
  std::chrono::system_clock::time_point until;
};

// One write: with `until`, inserts or replaces the tombstone; without, erases it.
struct TombstoneChange {
  std::string token_hash;
  std::optional<std::chrono::system_clock::time_point> until;
};

class TombstoneStore {
 public:
  using Executor = asio::any_io_executor;
  using TimePoint = std::chrono::system_clock::time_point;

  explicit TombstoneStore(Database& db) : db_(db) {}

  void load_all(Executor executor, std::function<void(Result<std::vector<Tombstone>>)> done);
  // In order, in one transaction (all or nothing). Answers how many rows
  // changed: an erase of a hash that had no tombstone changes none.
  void apply(Executor executor, std::vector<TombstoneChange> changes,
             std::function<void(Result<size_t>)> done);
  // Deletes tombstones whose `until` is at or before `now`; answers how many.
  void purge_expired(Executor executor, TimePoint now, std::function<void(Result<size_t>)> done);

 private:
  Database& db_;
};

}  // namespace herald::store
