// The shared store for several Herald nodes: one PostgreSQL database (libpq)
// holding tombstones and v1 registrations, with the same schema versions and
// migrations as the SQLite store (registration_store.h lists them).
//
// Start-up: open() connects and migrates under a session advisory lock, so
// two nodes starting at once never run a migration twice; a database with a
// newer schema is refused. A database that cannot be reached at start-up is
// an error (the operator sees it at once).
//
// Outages after start-up: a failed call returns false/kError/0 and marks the
// connection down; the next calls fail fast (no reconnect attempt more often
// than every `retry_interval`), so the caller keeps serving from memory (the
// in-memory tombstone set stays authoritative). Tombstone writes made during
// an outage are queued (bounded) and written once the connection is back.
// One warning per outage and one notice when it ends, never one per call.
//
// Calls block on the network; the connection string should set a short
// connect_timeout (open() adds connect_timeout=3 if it has none). The
// connection string is never logged (it may hold a password). One thread.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/registration_store.h"
#include "store/tombstone_store.h"

struct pg_conn;
struct pg_result;

namespace herald::store {

struct PostgresOptions {
  std::chrono::steady_clock::duration retry_interval = std::chrono::seconds(5);
  size_t max_queued_writes = 10000;
};

class PostgresStore : public TombstoneStore, public RegistrationStore {
 public:
  // Connects with a libpq connection string ("host=... dbname=... user=...")
  // or URI and migrates. Returns nullptr and sets *error on failure.
  static std::unique_ptr<PostgresStore> open(const std::string& conninfo, std::string* error,
                                             PostgresOptions options = {});
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  static int latest_schema_version();
  int schema_version();
  // Whether the last call reached the database.
  bool connected() const { return up_; }
  size_t queued_writes() const { return queue_.size(); }

  // TombstoneStore
  std::vector<Tombstone> load_all() override;
  bool put(std::string_view token_hash, std::chrono::system_clock::time_point until) override;
  bool erase(std::string_view token_hash) override;
  size_t purge_expired(std::chrono::system_clock::time_point now) override;

  // RegistrationStore
  StoreStatus find(std::string_view node, Registration* out) override;
  StoreStatus insert(const Registration& r) override;
  StoreStatus renew(std::string_view node, std::string_view module, std::string_view token,
                    std::string_view secret_hash, TimePoint now) override;
  StoreStatus remove(std::string_view node) override;
  std::vector<Registration> find_by_token(std::string_view token) override;
  size_t erase_by_token(std::string_view token) override;
  size_t erase_dead_token(std::string_view module, std::string_view token,
                          std::optional<TimePoint> invalid_since) override;
  size_t expire_renewed_before(TimePoint cutoff) override;
  bool record_outcomes(const std::vector<PushOutcome>& outcomes) override;

  // One query parameter: text, binary (BYTEA) or NULL.
  struct Param {
    std::optional<std::string> value;
    bool binary = false;
  };

 private:
  class Result;
  // A tombstone write that failed during an outage, replayed on reconnect.
  struct QueuedWrite {
    std::string token_hash;
    std::optional<int64_t> until;  // nullopt: erase
  };

  PostgresStore(pg_conn* conn, std::string conninfo, PostgresOptions options);
  bool migrate(std::string* error);
  // Runs one statement; on a lost connection reconnects once and retries.
  // Returns nullptr on failure (logged without parameters).
  // Without `retry` (inside a transaction) a lost connection is not retried.
  std::unique_ptr<Result> query(const char* sql, const std::vector<Param>& params,
                                bool retry = true);
  bool ensure_connected();
  void mark_down(const char* what);
  void replay_queue();
  bool write_tombstone(const QueuedWrite& w);
  void queue_write(QueuedWrite w);
  size_t affected(const char* sql, const std::vector<Param>& params, bool* ok);
  std::vector<Registration> select_registrations(const char* sql, const std::vector<Param>& params,
                                                 bool* ok);

  pg_conn* conn_;
  std::string conninfo_;
  PostgresOptions options_;
  bool up_ = true;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::deque<QueuedWrite> queue_;
  bool queue_overflow_logged_ = false;
  std::string last_sqlstate_;  // of the last failed query, e.g. 23505 (duplicate)
};

}  // namespace herald::store
