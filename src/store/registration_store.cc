#include "store/registration_store.h"

#include "store/push_schema.h"

namespace herald::store {

namespace {

constexpr const char* kSelect =
    "SELECT node, secret_hash, module, token, created, renewed, last_success, last_error "
    "FROM registrations ";

Registration decode(const Row& r) {
  Registration reg;
  reg.node = r.text(0);
  reg.secret_hash = r.text(1);
  reg.module = r.text(2);
  reg.token = r.text(3);
  reg.created = from_unix_seconds(r.integer(4));
  reg.renewed = from_unix_seconds(r.integer(5));
  if (!r.is_null(6)) reg.last_success = from_unix_seconds(r.integer(6));
  if (!r.is_null(7)) reg.last_error = from_unix_seconds(r.integer(7));
  return reg;
}

Value optional_time(const std::optional<TimePoint>& t) {
  if (!t) return Null{};
  return to_unix_seconds(*t);
}

// A statement whose answer is how many rows it changed.
Result<size_t> changed(Connection& c, const char* sql, const std::vector<Value>& params) {
  auto r = c.query(sql, params);
  if (!r.ok()) return r.status();
  return size_t(r->affected);
}

// The same, where changing none means there was no such row.
Status changed_one(Connection& c, const char* sql, const std::vector<Value>& params) {
  auto n = changed(c, sql, params);
  if (!n.ok()) return n.status();
  return *n > 0 ? Status::Ok() : NotFound("no such registration");
}

}  // namespace

void RegistrationStore::find(Executor executor, std::string node, Callback<Registration> done) {
  db_.run<Registration>(
      std::move(executor),
      [node = std::move(node)](Connection& c) -> Result<Registration> {
        auto rows = c.query(std::string(kSelect) + "WHERE node = $1", {node});
        if (!rows.ok()) return rows.status();
        if (rows->rows.empty()) return NotFound("no such registration");
        return decode(rows->rows.front());
      },
      std::move(done));
}

void RegistrationStore::insert(Executor executor, Registration reg, Done done) {
  db_.run(
      std::move(executor),
      [reg = std::move(reg)](Connection& c) -> Status {
        auto r = c.query(
            "INSERT INTO registrations (node, secret_hash, module, token, created, renewed, "
            "last_success, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            {reg.node, Blob{reg.secret_hash}, reg.module, reg.token, to_unix_seconds(reg.created),
             to_unix_seconds(reg.renewed), optional_time(reg.last_success),
             optional_time(reg.last_error)});
        return r.ok() ? Status::Ok() : r.status();
      },
      std::move(done));
}

void RegistrationStore::renew(Executor executor, std::string node, std::string module,
                              std::string token, std::string secret_hash, TimePoint now,
                              Done done) {
  db_.run(
      std::move(executor),
      [params = std::vector<Value>{std::move(node), std::move(module), std::move(token),
                                   Blob{std::move(secret_hash)}, to_unix_seconds(now)}](
          Connection& c) {
        return changed_one(c,
                           "UPDATE registrations SET secret_hash = $4, renewed = $5 "
                           "WHERE node = $1 AND module = $2 AND token = $3",
                           params);
      },
      std::move(done));
}

void RegistrationStore::remove(Executor executor, std::string node, Done done) {
  db_.run(
      std::move(executor),
      [node = std::move(node)](Connection& c) {
        return changed_one(c, "DELETE FROM registrations WHERE node = $1", {node});
      },
      std::move(done));
}

void RegistrationStore::find_by_token(Executor executor, std::string token,
                                      Callback<std::vector<Registration>> done) {
  db_.run<std::vector<Registration>>(
      std::move(executor),
      [token = std::move(token)](Connection& c) -> Result<std::vector<Registration>> {
        auto rows = c.query(std::string(kSelect) + "WHERE token = $1 ORDER BY node", {token});
        if (!rows.ok()) return rows.status();
        std::vector<Registration> out;
        for (const Row& r : rows->rows) out.push_back(decode(r));
        return out;
      },
      std::move(done));
}

void RegistrationStore::erase_by_token(Executor executor, std::string token, Callback<size_t> done) {
  db_.run<size_t>(
      std::move(executor),
      [token = std::move(token)](Connection& c) {
        return changed(c, "DELETE FROM registrations WHERE token = $1", {token});
      },
      std::move(done));
}

void RegistrationStore::erase_dead_token(Executor executor, std::string module, std::string token,
                                         std::optional<TimePoint> invalid_since,
                                         Callback<size_t> done) {
  db_.run<size_t>(
      std::move(executor),
      [module = std::move(module), token = std::move(token), invalid_since](Connection& c) {
        // Renewed after Apple's timestamp: the app got the token again since
        // it was invalidated, so that registration stays.
        if (invalid_since)
          return changed(c,
                         "DELETE FROM registrations WHERE module = $1 AND token = $2 "
                         "AND renewed <= $3",
                         {module, token, to_unix_seconds(*invalid_since)});
        return changed(c, "DELETE FROM registrations WHERE module = $1 AND token = $2",
                       {module, token});
      },
      std::move(done));
}

void RegistrationStore::expire_renewed_before(Executor executor, TimePoint cutoff,
                                              Callback<size_t> done) {
  db_.run<size_t>(
      std::move(executor),
      [cutoff](Connection& c) {
        return changed(c, "DELETE FROM registrations WHERE renewed < $1",
                       {to_unix_seconds(cutoff)});
      },
      std::move(done));
}

void RegistrationStore::record_outcomes(Executor executor, std::vector<PushOutcome> outcomes,
                                        Done done) {
  db_.run(
      std::move(executor),
      [outcomes = std::move(outcomes)](Connection& c) -> Status {
        if (outcomes.empty()) return Status::Ok();
        // Never backwards: a slow node's older batch leaves newer times alone.
        return c.transaction([&]() -> Status {
          for (const PushOutcome& o : outcomes) {
            auto r = c.query(o.success ? "UPDATE registrations SET last_success = $2 WHERE node = $1 "
                                         "AND (last_success IS NULL OR last_success < $2)"
                                       : "UPDATE registrations SET last_error = $2 WHERE node = $1 "
                                         "AND (last_error IS NULL OR last_error < $2)",
                             {o.node, to_unix_seconds(o.at)});
            if (!r.ok()) return r.status();
          }
          return Status::Ok();
        });
      },
      std::move(done));
}

}  // namespace herald::store
