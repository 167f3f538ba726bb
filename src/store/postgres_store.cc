#include "store/postgres_store.h"

#include <libpq-fe.h>

#include <cstring>

#include "base/encoding.h"
#include "base/log.h"

namespace herald::store {

namespace {

// Index i holds the migration from version i to i + 1, the same versions as
// the SQLite store (registration_store.h). Append only.
const char* const kMigrations[] = {
    // 1: tombstones of dead device tokens.
    "CREATE TABLE tombstones ("
    "  token_hash BYTEA PRIMARY KEY,"
    "  until BIGINT NOT NULL)",  // unix seconds
    // 2: v1 registrations, exactly the fields docs/privacy.md promise 3 allows.
    "CREATE TABLE registrations ("
    "  node TEXT PRIMARY KEY,"
    "  secret_hash BYTEA NOT NULL,"
    "  module TEXT NOT NULL,"
    "  token TEXT NOT NULL,"
    "  created BIGINT NOT NULL,"
    "  renewed BIGINT NOT NULL,"
    "  last_success BIGINT,"
    "  last_error BIGINT);"
    "CREATE INDEX registrations_token ON registrations (token);"
    "CREATE INDEX registrations_renewed ON registrations (renewed);",
};

// Session advisory lock held while migrating ("Herl"): nodes starting at
// once take turns, and the second one finds the schema already current.
constexpr const char* kMigrationLock = "SELECT pg_advisory_lock(1214603884)";
constexpr const char* kMigrationUnlock = "SELECT pg_advisory_unlock(1214603884)";

constexpr const char* kRegistrationColumns =
    "node, secret_hash, module, token, created, renewed, last_success, last_error";

int64_t to_unix(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix(int64_t s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

using Param = PostgresStore::Param;

Param text(std::string_view v) { return Param{std::string(v), false}; }
Param bytes(std::string_view v) { return Param{std::string(v), true}; }
Param integer(int64_t v) { return Param{std::to_string(v), false}; }
Param optional_time(const std::optional<TimePoint>& t) {
  return t ? integer(to_unix(*t)) : Param{std::nullopt, false};
}

// Connects; connect_timeout=3 unless the operator's string sets its own
// (later keywords of the expanded string override the earlier default).
pg_conn* connect(const std::string& conninfo) {
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"3", conninfo.c_str(), nullptr};
  return PQconnectdbParams(keys, values, 1);
}

std::string connection_error(pg_conn* conn) {
  std::string message = conn ? PQerrorMessage(conn) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

}  // namespace

// Owns one PGresult.
class PostgresStore::Result {
 public:
  explicit Result(pg_result* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const { return PQntuples(r_); }
  bool null(int row, int col) const { return PQgetisnull(r_, row, col); }
  std::string text(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), size_t(PQgetlength(r_, row, col)));
  }
  int64_t integer(int row, int col) const { return std::stoll(text(row, col)); }
  // BYTEA in text results is "\x" followed by hex.
  std::string bytes(int row, int col) const {
    std::string t = text(row, col);
    if (t.rfind("\\x", 0) != 0) return {};
    return hex_decode(std::string_view(t).substr(2)).value_or("");
  }
  pg_result* raw() const { return r_; }
  std::string sqlstate() const {
    const char* s = PQresultErrorField(r_, PG_DIAG_SQLSTATE);
    return s ? s : "";
  }
  // The primary message only: DETAIL lines may quote stored values.
  std::string error() const {
    const char* e = PQresultErrorField(r_, PG_DIAG_MESSAGE_PRIMARY);
    return e ? e : PQresStatus(PQresultStatus(r_));
  }
  size_t affected() const {
    const char* n = PQcmdTuples(r_);
    return n && *n ? size_t(std::stoull(n)) : 0;
  }

 private:
  pg_result* r_;
};

int PostgresStore::latest_schema_version() {
  return static_cast<int>(std::size(kMigrations));
}

std::unique_ptr<PostgresStore> PostgresStore::open(const std::string& conninfo, std::string* error,
                                                   PostgresOptions options) {
  pg_conn* conn = connect(conninfo);
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    if (error) *error = "cannot connect to PostgreSQL: " + connection_error(conn);
    PQfinish(conn);
    return nullptr;
  }
  // Server notices ("already exists, skipping") are not worth a line.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  std::unique_ptr<PostgresStore> store(new PostgresStore(conn, conninfo, options));
  if (!store->migrate(error)) return nullptr;
  return store;
}

PostgresStore::PostgresStore(pg_conn* conn, std::string conninfo, PostgresOptions options)
    : conn_(conn), conninfo_(std::move(conninfo)), options_(options) {}

PostgresStore::~PostgresStore() {
  PQfinish(conn_);
}

bool PostgresStore::migrate(std::string* error) {
  auto exec = [&](const std::string& sql) {
    pg_result* r = PQexec(conn_, sql.c_str());
    ExecStatusType status = PQresultStatus(r);
    bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok && error) *error = "PostgreSQL: " + std::string(PQresultErrorMessage(r));
    PQclear(r);
    return ok;
  };
  if (!exec(kMigrationLock)) return false;
  bool ok = [&] {
    if (!exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")) return false;
    if (!exec("INSERT INTO schema_version (version) SELECT 0 "
              "WHERE NOT EXISTS (SELECT 1 FROM schema_version)"))
      return false;
    int version = schema_version();
    if (version > latest_schema_version()) {
      if (error)
        *error = "database schema version " + std::to_string(version) +
                 " is newer than this Herald understands (" +
                 std::to_string(latest_schema_version()) + ")";
      return false;
    }
    for (; version < latest_schema_version(); ++version) {
      // One transaction per step: a crash leaves a consistent version.
      std::string step = std::string("BEGIN;") + kMigrations[version] +
                         ";UPDATE schema_version SET version = " + std::to_string(version + 1) +
                         ";COMMIT";
      if (!exec(step)) {
        exec("ROLLBACK");
        return false;
      }
      log::info("store: PostgreSQL schema migrated to version {}", version + 1);
    }
    return true;
  }();
  exec(kMigrationUnlock);
  return ok;
}

int PostgresStore::schema_version() {
  auto r = query("SELECT version FROM schema_version", {});
  if (!r || r->rows() != 1) return 0;
  return static_cast<int>(r->integer(0, 0));
}

void PostgresStore::mark_down(const char* what) {
  if (up_) {
    // libpq's message names the server's address: debug only (docs/privacy.md).
    log::warn("store: PostgreSQL unreachable ({}); serving from memory, retrying every {} ms", what,
              std::chrono::duration_cast<std::chrono::milliseconds>(options_.retry_interval).count());
    log::debug("store: PostgreSQL: {}", connection_error(conn_));
  }
  up_ = false;
  next_attempt_ = std::chrono::steady_clock::now() + options_.retry_interval;
}

bool PostgresStore::ensure_connected() {
  if (up_) return true;
  if (std::chrono::steady_clock::now() < next_attempt_) return false;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    next_attempt_ = std::chrono::steady_clock::now() + options_.retry_interval;
    return false;
  }
  up_ = true;
  log::info("store: PostgreSQL reachable again");
  replay_queue();
  return up_;
}

std::unique_ptr<PostgresStore::Result> PostgresStore::query(const char* sql,
                                                            const std::vector<Param>& params,
                                                            bool retry) {
  last_sqlstate_.clear();
  if (!ensure_connected()) return nullptr;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const Param& p : params) {
      values.push_back(p.value ? p.value->data() : nullptr);
      lengths.push_back(p.value ? int(p.value->size()) : 0);
      formats.push_back(p.binary ? 1 : 0);
    }
    auto r = std::make_unique<Result>(PQexecParams(conn_, sql, int(params.size()), nullptr,
                                                   values.data(), lengths.data(), formats.data(), 0));
    ExecStatusType status = PQresultStatus(r->raw());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
    if (PQstatus(conn_) != CONNECTION_BAD) {
      last_sqlstate_ = r->sqlstate();
      if (last_sqlstate_ != "23505")  // unique_violation is an answer, not a failure
        log::error("store: PostgreSQL query failed: {} ({})", r->error(), last_sqlstate_);
      return nullptr;
    }
    // The server restarted or the network dropped: one immediate reconnect,
    // which succeeds after a restart; otherwise wait for the retry interval.
    if (attempt == 0 && retry) {
      PQreset(conn_);
      if (PQstatus(conn_) == CONNECTION_OK) continue;
    }
    mark_down("query");
    return nullptr;
  }
  return nullptr;
}

// --- tombstones ---

void PostgresStore::queue_write(QueuedWrite w) {
  if (queue_.size() >= options_.max_queued_writes) {
    if (!queue_overflow_logged_)
      log::warn("store: PostgreSQL outage: more than {} tombstone writes queued, dropping the oldest",
                options_.max_queued_writes);
    queue_overflow_logged_ = true;
    queue_.pop_front();
  }
  queue_.push_back(std::move(w));
}

bool PostgresStore::write_tombstone(const QueuedWrite& w) {
  if (w.until) {
    return query("INSERT INTO tombstones (token_hash, until) VALUES ($1, $2) "
                 "ON CONFLICT (token_hash) DO UPDATE SET until = EXCLUDED.until",
                 {bytes(w.token_hash), integer(*w.until)}) != nullptr;
  }
  return query("DELETE FROM tombstones WHERE token_hash = $1", {bytes(w.token_hash)}) != nullptr;
}

// In order, so a put followed by an erase of one hash ends erased.
void PostgresStore::replay_queue() {
  size_t written = 0;
  while (!queue_.empty() && up_) {
    if (!write_tombstone(queue_.front())) break;
    queue_.pop_front();
    ++written;
  }
  if (written) log::info("store: {} tombstone writes from the outage written", written);
  if (queue_.empty()) queue_overflow_logged_ = false;
}

std::vector<Tombstone> PostgresStore::load_all() {
  std::vector<Tombstone> out;
  auto r = query("SELECT token_hash, until FROM tombstones", {});
  if (!r) return out;
  for (int i = 0; i < r->rows(); ++i) out.push_back({r->bytes(i, 0), from_unix(r->integer(i, 1))});
  return out;
}

bool PostgresStore::put(std::string_view token_hash, std::chrono::system_clock::time_point until) {
  QueuedWrite w{std::string(token_hash), to_unix(until)};
  if (!queue_.empty() || !up_) {
    // Keep the order of writes: this one goes after those still queued.
    queue_write(std::move(w));
    if (ensure_connected()) return queue_.empty();
    return false;
  }
  if (write_tombstone(w)) return true;
  if (!up_) queue_write(std::move(w));
  return false;
}

bool PostgresStore::erase(std::string_view token_hash) {
  QueuedWrite w{std::string(token_hash), std::nullopt};
  if (!queue_.empty() || !up_) {
    queue_write(std::move(w));
    if (ensure_connected()) return queue_.empty();
    return false;
  }
  if (write_tombstone(w)) return true;
  if (!up_) queue_write(std::move(w));
  return false;
}

size_t PostgresStore::purge_expired(std::chrono::system_clock::time_point now) {
  auto r = query("DELETE FROM tombstones WHERE until <= $1", {integer(to_unix(now))});
  return r ? r->affected() : 0;
}

// --- registrations ---

std::vector<Registration> PostgresStore::select_registrations(const char* sql,
                                                              const std::vector<Param>& params,
                                                              bool* ok) {
  std::vector<Registration> out;
  auto r = query(sql, params);
  if (ok) *ok = r != nullptr;
  if (!r) return out;
  for (int i = 0; i < r->rows(); ++i) {
    Registration reg;
    reg.node = r->text(i, 0);
    reg.secret_hash = r->bytes(i, 1);
    reg.module = r->text(i, 2);
    reg.token = r->text(i, 3);
    reg.created = from_unix(r->integer(i, 4));
    reg.renewed = from_unix(r->integer(i, 5));
    if (!r->null(i, 6)) reg.last_success = from_unix(r->integer(i, 6));
    if (!r->null(i, 7)) reg.last_error = from_unix(r->integer(i, 7));
    out.push_back(std::move(reg));
  }
  return out;
}

StoreStatus PostgresStore::find(std::string_view node, Registration* out) {
  std::string sql = std::string("SELECT ") + kRegistrationColumns +
                    " FROM registrations WHERE node = $1";
  bool ok = false;
  auto rows = select_registrations(sql.c_str(), {text(node)}, &ok);
  if (!ok) return StoreStatus::kError;
  if (rows.empty()) return StoreStatus::kNotFound;
  if (out) *out = std::move(rows.front());
  return StoreStatus::kOk;
}

StoreStatus PostgresStore::insert(const Registration& reg) {
  auto r = query(
      "INSERT INTO registrations (node, secret_hash, module, token, created, renewed, "
      "last_success, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {text(reg.node), bytes(reg.secret_hash), text(reg.module), text(reg.token),
       integer(to_unix(reg.created)), integer(to_unix(reg.renewed)),
       optional_time(reg.last_success), optional_time(reg.last_error)});
  if (r) return StoreStatus::kOk;
  return last_sqlstate_ == "23505" ? StoreStatus::kExists : StoreStatus::kError;
}

size_t PostgresStore::affected(const char* sql, const std::vector<Param>& params, bool* ok) {
  auto r = query(sql, params);
  if (ok) *ok = r != nullptr;
  return r ? r->affected() : 0;
}

StoreStatus PostgresStore::renew(std::string_view node, std::string_view module,
                                 std::string_view token, std::string_view secret_hash,
                                 TimePoint now) {
  bool ok = false;
  size_t n = affected(
      "UPDATE registrations SET secret_hash = $4, renewed = $5 "
      "WHERE node = $1 AND module = $2 AND token = $3",
      {text(node), text(module), text(token), bytes(secret_hash), integer(to_unix(now))}, &ok);
  if (!ok) return StoreStatus::kError;
  return n > 0 ? StoreStatus::kOk : StoreStatus::kNotFound;
}

StoreStatus PostgresStore::remove(std::string_view node) {
  bool ok = false;
  size_t n = affected("DELETE FROM registrations WHERE node = $1", {text(node)}, &ok);
  if (!ok) return StoreStatus::kError;
  return n > 0 ? StoreStatus::kOk : StoreStatus::kNotFound;
}

std::vector<Registration> PostgresStore::find_by_token(std::string_view token) {
  std::string sql = std::string("SELECT ") + kRegistrationColumns +
                    " FROM registrations WHERE token = $1 ORDER BY node";
  return select_registrations(sql.c_str(), {text(token)}, nullptr);
}

size_t PostgresStore::erase_by_token(std::string_view token) {
  return affected("DELETE FROM registrations WHERE token = $1", {text(token)}, nullptr);
}

size_t PostgresStore::erase_dead_token(std::string_view module, std::string_view token,
                                       std::optional<TimePoint> invalid_since) {
  return affected(
      "DELETE FROM registrations WHERE module = $1 AND token = $2 "
      "AND ($3::BIGINT IS NULL OR renewed <= $3::BIGINT)",
      {text(module), text(token), optional_time(invalid_since)}, nullptr);
}

size_t PostgresStore::expire_renewed_before(TimePoint cutoff) {
  return affected("DELETE FROM registrations WHERE renewed < $1", {integer(to_unix(cutoff))},
                  nullptr);
}

bool PostgresStore::record_outcomes(const std::vector<PushOutcome>& outcomes) {
  if (outcomes.empty()) return true;
  if (!query("BEGIN", {})) return false;
  bool ok = true;
  for (const PushOutcome& o : outcomes) {
    const char* sql =
        o.success ? "UPDATE registrations SET last_success = GREATEST(COALESCE(last_success, 0), $2) "
                    "WHERE node = $1"
                  : "UPDATE registrations SET last_error = GREATEST(COALESCE(last_error, 0), $2) "
                    "WHERE node = $1";
    if (!query(sql, {text(o.node), integer(to_unix(o.at))}, false)) {
      ok = false;
      break;
    }
  }
  if (!up_) return false;
  query(ok ? "COMMIT" : "ROLLBACK", {}, false);
  return ok && up_;
}

}  // namespace herald::store
