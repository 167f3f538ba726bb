// Durable storage for v1 registrations (docs/configuration.md "[v1]"): an
// app registered its device token with Herald and received a node and a
// secret, which the user's server later presents in publishes.
//
// What is stored per registration is exactly what docs/privacy.md promise 3
// allows: node, SHA-256 of the secret, push module, device token, registered
// and renewed times, last successful push and last push error (times only,
// no error text). Nothing else: no JID, no IP, no plaintext secret.
//
// Asynchronous, on store::Database (either engine, push_schema.h), like
// tombstone_store.h: one job per call, `done` on the given executor within
// the database's answer_timeout(). Answers:
//  - `not_found` when no row matched (find, renew, remove): a fact;
//  - `exists` when insert() met a registered node (no change): a fact;
//  - `unavailable`/`timeout`/`internal` when the engine failed: callers
//    answer `wait`, never `cancel`, for those.
// `node` is the primary key: insert() and renew() are each atomic, so two
// Herald nodes racing on one node id cannot both win. Times are stored as
// whole unix seconds. Errors are logged by the engine at debug only, never
// with tokens, nodes or secrets.
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

class RegistrationStore {
 public:
  using Executor = asio::any_io_executor;
  using Done = std::function<void(Status)>;
  template <typename T>
  using Callback = std::function<void(Result<T>)>;

  explicit RegistrationStore(Database& db) : db_(db) {}

  void find(Executor executor, std::string node, Callback<Registration> done);
  // Adds a registration; `exists` (and no change) if the node is taken.
  void insert(Executor executor, Registration r, Done done);
  // Renewal by the owner: only where node, module and token all match the
  // stored row, replaces secret_hash and sets renewed = now; `not_found` if
  // no row matched (unknown node, or a different token holds it).
  void renew(Executor executor, std::string node, std::string module, std::string token,
             std::string secret_hash, TimePoint now, Done done);
  // Deletes one registration (unregister, GDPR erase by node).
  void remove(Executor executor, std::string node, Done done);
  // All registrations holding this token, by node (GDPR show/erase by
  // token; a token may be registered under several nodes).
  void find_by_token(Executor executor, std::string token, Callback<std::vector<Registration>> done);
  // Deletes them; answers how many.
  void erase_by_token(Executor executor, std::string token, Callback<size_t> done);
  // The upstream reported `token` of `module` dead. Deletes its
  // registrations unless renewed after `invalid_since` (APNs 410 timestamp);
  // without a timestamp (BadDeviceToken, FCM UNREGISTERED) deletes them all.
  void erase_dead_token(Executor executor, std::string module, std::string token,
                        std::optional<TimePoint> invalid_since, Callback<size_t> done);
  // Expiry job: deletes registrations whose `renewed` is before `cutoff`.
  void expire_renewed_before(Executor executor, TimePoint cutoff, Callback<size_t> done);
  // Applies a batch of push results in one transaction: last_success or
  // last_error is set to the latest `at` per node (never moved backwards).
  // Outcomes for nodes deleted meanwhile are ignored (no row is created).
  void record_outcomes(Executor executor, std::vector<PushOutcome> outcomes, Done done);

 private:
  Database& db_;
};

}  // namespace herald::store
