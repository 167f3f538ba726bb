// The embedded v1 registration store: the `registrations` table of the same
// SQLite file as the tombstones (schema version 2, see registration_store.h).
// Shares SqliteStore's connection, so it has the same rules: WAL,
// secure_delete (an erased token is overwritten, not left in free pages),
// one thread. Errors are logged without tokens, nodes or secrets.
#pragma once

#include "store/registration_store.h"
#include "store/sqlite_store.h"

namespace herald::store {

class SqliteRegistrationStore : public RegistrationStore {
 public:
  // `db` must outlive this object and be at schema version >= 2 (open()
  // migrates).
  explicit SqliteRegistrationStore(SqliteStore& db) : db_(db.handle()) {}

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

 private:
  sqlite3* db_;
};

}  // namespace herald::store
