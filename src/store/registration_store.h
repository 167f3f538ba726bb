// Durable storage for v1 registrations (docs/protocol.md "v1 registration"): an
// app registered its device token with Herald and received a node and a
// secret, which the user's server later presents in publishes.
//
// Changes after publication (keep this list; the PostgreSQL store follows it):
//   (none yet)
//
// What is stored per registration is exactly what docs/privacy.md promise 3 allows:
// node, SHA-256 of the secret, push module, device token, registered and
// renewed times, last successful push and last push error (times only, no
// error text). Nothing else: no JID, no IP, no plaintext secret.
//
// Contract for every implementation (SQLite embedded, PostgreSQL shared):
//  - `node` is the primary key. insert() and renew() are each atomic, so two
//    Herald nodes racing on one node id cannot both win (the registration
//    logic relies on kExists from insert()).
//  - Times are stored as whole unix seconds; sub-second parts are dropped.
//  - kError means the engine failed (logged by the implementation, without
//    tokens or secrets); callers answer `wait`, never `cancel`, for it.
//  - Calls may block on the engine; the caller serializes them (one thread
//    or a strand). Per-push bookkeeping goes through record_outcomes() in
//    batches so a push never waits on a write.
//
// Schema versions, shared by all implementations: a table
// `schema_version(version INTEGER NOT NULL)` with one row; numbered
// migrations, append-only, each run in its own transaction at start-up; a
// database with a higher version than the build knows is refused.
//   1: tombstones(token_hash BLOB/BYTEA PRIMARY KEY, until BIGINT)
//   2: registrations(node TEXT PRIMARY KEY, secret_hash BLOB/BYTEA NOT NULL,
//        module TEXT NOT NULL, token TEXT NOT NULL, created BIGINT NOT NULL,
//        renewed BIGINT NOT NULL, last_success BIGINT NULL,
//        last_error BIGINT NULL); index on (token).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::store {

using TimePoint = std::chrono::system_clock::time_point;

struct Registration {
  std::string node;         // chosen by the client (old clients) or by Herald
  std::string secret_hash;  // 32 raw bytes, SHA-256 of the secret
  std::string module;       // push module name from the configuration
  std::string token;        // device token as the upstream wants it
  TimePoint created;
  TimePoint renewed;
  std::optional<TimePoint> last_success;
  std::optional<TimePoint> last_error;
};

// One push's result for batched bookkeeping.
struct PushOutcome {
  std::string node;
  bool success = false;
  TimePoint at;
};

enum class StoreStatus {
  kOk,
  kNotFound,  // no row matched
  kExists,    // insert(): the node is already registered
  kError,     // the engine failed
};

class RegistrationStore {
 public:
  virtual ~RegistrationStore() = default;

  // Looks up one registration by node; fills *out on kOk.
  virtual StoreStatus find(std::string_view node, Registration* out) = 0;

  // Adds a registration; kExists (and no change) if the node is taken.
  virtual StoreStatus insert(const Registration& r) = 0;

  // Renewal by the owner: only where node, module and token all match the
  // stored row, replaces secret_hash and sets renewed = now. kNotFound if
  // no row matched (unknown node, or a different token holds it).
  virtual StoreStatus renew(std::string_view node, std::string_view module,
                            std::string_view token, std::string_view secret_hash,
                            TimePoint now) = 0;

  // Deletes one registration (unregister, GDPR erase by node).
  virtual StoreStatus remove(std::string_view node) = 0;

  // All registrations holding this token (GDPR show/erase by token; a token
  // may be registered under several nodes).
  virtual std::vector<Registration> find_by_token(std::string_view token) = 0;
  // Deletes them; returns how many (0 on error, which is logged).
  virtual size_t erase_by_token(std::string_view token) = 0;

  // The upstream reported `token` of `module` dead. Deletes its registrations
  // unless renewed after `invalid_since` (APNs 410 timestamp); without a
  // timestamp (BadDeviceToken, FCM UNREGISTERED) deletes them all. Returns
  // how many were deleted.
  virtual size_t erase_dead_token(std::string_view module, std::string_view token,
                                  std::optional<TimePoint> invalid_since) = 0;

  // Expiry job: deletes registrations whose `renewed` is before `cutoff`.
  virtual size_t expire_renewed_before(TimePoint cutoff) = 0;

  // Applies a batch of push results in one transaction: last_success or
  // last_error is set to the latest `at` per node (never moved backwards).
  // Outcomes for nodes deleted meanwhile are ignored.
  virtual bool record_outcomes(const std::vector<PushOutcome>& outcomes) = 0;
};

}  // namespace herald::store
