#include "store/postgres_connection.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <poll.h>

#include <cstring>

#include "base/log.h"

namespace herald::store {

namespace {

using Clock = std::chrono::steady_clock;

// PostgreSQL type OIDs of the values we send and read.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25;

// Waits until the socket is readable (or writable) or the deadline passes.
bool wait_socket(int fd, bool for_write, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, short(for_write ? POLLOUT : POLLIN), 0};
    int rc = ::poll(&p, 1, int(left.count()));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string trimmed_error(pg_conn* conn) {
  std::string message = conn ? PQerrorMessage(conn) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

uint64_t big_endian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | uint8_t(p[i]);
  return v;
}

Value decode(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return Null{};
  const char* data = PQgetvalue(r, row, col);
  int n = PQgetlength(r, row, col);
  switch (PQftype(r, col)) {
    case kInt8: return int64_t(big_endian(data, 8));
    case kInt4: return int64_t(int32_t(uint32_t(big_endian(data, 4))));
    case kInt2: return int64_t(int16_t(uint16_t(big_endian(data, 2))));
    case kBool: return int64_t(n > 0 && data[0] != 0);
    case kBytea: return Blob{std::string(data, size_t(n))};
    default: return std::string(data, size_t(n));  // text, varchar, name: raw bytes
  }
}

}  // namespace

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::open(
    const std::string& conninfo, const PostgresConnectOptions& o) {
  // Ours first; the operator's string (expanded from "dbname") overrides.
  std::string idle = std::to_string(o.keepalive_idle.count());
  std::string interval = std::to_string(o.keepalive_interval.count());
  std::string count = std::to_string(o.keepalive_count);
  // Unacknowledged data fails the connection as soon as keep-alives would.
  std::string user_timeout = std::to_string(
      (o.keepalive_idle + o.keepalive_interval * o.keepalive_count).count() * 1000);
  const char* keys[] = {"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                        "tcp_user_timeout", "dbname", nullptr};
  const char* values[] = {"1", idle.c_str(), interval.c_str(), count.c_str(),
                          user_timeout.c_str(), conninfo.c_str(), nullptr};
  pg_conn* conn = PQconnectStartParams(keys, values, 1);
  if (!conn) return Unavailable("PostgreSQL: out of memory");
  auto deadline = Clock::now() + o.connect_timeout;
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  if (PQstatus(conn) == CONNECTION_BAD) state = PGRES_POLLING_FAILED;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      log::debug("postgres: connect failed: {}", trimmed_error(conn));
      PQfinish(conn);
      return Unavailable("PostgreSQL refused or is unreachable");
    }
    if (!wait_socket(PQsocket(conn), state == PGRES_POLLING_WRITING, deadline)) {
      PQfinish(conn);
      return Timeout("PostgreSQL did not answer within " +
                     std::to_string(o.connect_timeout.count()) + " ms");
    }
    state = PQconnectPoll(conn);
  }
  PQsetnonblocking(conn, 1);
  std::unique_ptr<PostgresConnection> c(new PostgresConnection(conn, o));
  // The server gives up too (lock waits, slow plans), a little after us.
  Status s = c->script("SET statement_timeout = " + std::to_string(o.statement_timeout.count()) +
                       "; SET client_min_messages = warning");
  if (!s.ok()) return s;
  return c;
}

PostgresConnection::PostgresConnection(pg_conn* conn, PostgresConnectOptions options)
    : conn_(conn), options_(options) {}

PostgresConnection::~PostgresConnection() { PQfinish(conn_); }

bool PostgresConnection::usable() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

bool PostgresConnection::alive() {
  if (!usable()) return false;
  // An idle connection has nothing to read, unless the server said goodbye
  // (a restart's "terminating connection", then the close) or reported a
  // setting. Reads until nothing is left, so that a close behind the
  // goodbye is seen too.
  for (int i = 0; i < 4 && usable(); ++i) {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
    if (!PQconsumeInput(conn_) || PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  }
  return usable();
}

Status PostgresConnection::lost(const char* what) {
  broken_ = true;
  log::debug("postgres: {}: {}", what, trimmed_error(conn_));
  return Unavailable(std::string("PostgreSQL connection lost during ") + what);
}

Status PostgresConnection::flush_and_wait(Clock::time_point deadline) {
  int fd = PQsocket(conn_);
  for (;;) {
    int rc = PQflush(conn_);
    if (rc == 0) break;
    if (rc < 0) return lost("a write");
    if (!wait_socket(fd, true, deadline)) {
      broken_ = true;
      return Timeout("PostgreSQL did not take a statement in time");
    }
  }
  while (PQisBusy(conn_)) {
    if (!wait_socket(fd, false, deadline)) {
      broken_ = true;  // a late answer would confuse the next statement
      return Timeout("PostgreSQL stopped answering");
    }
    if (!PQconsumeInput(conn_)) return lost("a read");
  }
  return Status::Ok();
}

namespace {

// Collects every result of the statement(s) sent; the first error wins.
Status collect(pg_conn* conn, Rows* out) {
  Status status;
  while (PGresult* r = PQgetResult(conn)) {
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
      if (out && status.ok()) {
        int rows = PQntuples(r), cols = PQnfields(r);
        for (int i = 0; i < rows; ++i) {
          Row row;
          row.values.reserve(size_t(cols));
          for (int j = 0; j < cols; ++j) row.values.push_back(decode(r, i, j));
          out->rows.push_back(std::move(row));
        }
        const char* affected = PQcmdTuples(r);
        if (affected && *affected && st == PGRES_COMMAND_OK) out->affected = std::atoll(affected);
      }
    } else if (status.ok()) {
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      std::string sqlstate = state ? state : "";
      log::debug("postgres: statement failed ({}): {}", sqlstate, PQresultErrorMessage(r));
      if (sqlstate == "23505")
        status = Exists("a row with that key exists");
      else if (sqlstate == "57014")
        status = Timeout("PostgreSQL cancelled a statement at its timeout");
      else if (sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "40001" ||
               sqlstate == "40P01")
        status = Unavailable("PostgreSQL: " + sqlstate);
      else
        status = Internal("PostgreSQL: statement failed (" + sqlstate + ")");
    }
    PQclear(r);
  }
  return status;
}

}  // namespace

Result<Rows> PostgresConnection::query(std::string_view sql, const std::vector<Value>& params) {
  if (!usable()) return Unavailable("PostgreSQL connection is down");
  std::string text(sql);
  size_t n = params.size();
  std::vector<Oid> types(n);
  std::vector<const char*> values(n);
  std::vector<int> lengths(n), formats(n, 1);
  std::vector<std::string> integers(n);  // keeps big-endian integers alive
  for (size_t i = 0; i < n; ++i) {
    const Value& v = params[i];
    if (std::holds_alternative<Null>(v)) {
      values[i] = nullptr;
    } else if (auto* integer = std::get_if<int64_t>(&v)) {
      uint64_t u = uint64_t(*integer);
      integers[i].resize(8);
      for (int b = 7; b >= 0; --b, u >>= 8) integers[i][size_t(b)] = char(u & 0xff);
      types[i] = kInt8;
      values[i] = integers[i].data();
      lengths[i] = 8;
    } else if (auto* s = std::get_if<std::string>(&v)) {
      types[i] = kText;
      values[i] = s->data();
      lengths[i] = int(s->size());
    } else {
      const auto& bytes = std::get<Blob>(v).bytes;
      types[i] = kBytea;
      values[i] = bytes.data();
      lengths[i] = int(bytes.size());
    }
  }
  auto deadline = Clock::now() + statement_bound(options_.statement_timeout);
  if (!PQsendQueryParams(conn_, text.c_str(), int(n), types.data(), values.data(), lengths.data(),
                         formats.data(), 1))
    return lost("sending a statement");
  if (Status s = flush_and_wait(deadline); !s.ok()) return s;
  Rows out;
  if (Status s = collect(conn_, &out); !s.ok()) {
    if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    return s;
  }
  return out;
}

Status PostgresConnection::script(std::string_view sql) {
  if (!usable()) return Unavailable("PostgreSQL connection is down");
  std::string text(sql);
  auto deadline = Clock::now() + statement_bound(options_.statement_timeout);
  if (!PQsendQuery(conn_, text.c_str())) return lost("sending a script");
  if (Status s = flush_and_wait(deadline); !s.ok()) return s;
  Status s = collect(conn_, nullptr);
  if (!s.ok() && PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  return s;
}

}  // namespace herald::store
