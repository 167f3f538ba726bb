// One PostgreSQL connection for a store::Database worker (database.h), on
// libpq's asynchronous API so that every wait has a deadline the client
// enforces itself. The server cancels a statement at the statement timeout
// (the connection stays usable); a server that stops answering (stopped,
// partitioned) cannot, so a little later (a quarter more, at least 250 ms)
// the client drops the connection and the statement fails with `timeout`. Connecting is bounded the
// same way, and TCP keep-alives notice a dead peer between statements.
// Parameters go and results come in binary (int8 as 8 bytes, bytea raw).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "store/database.h"

struct pg_conn;

namespace herald::store {

struct PostgresConnectOptions {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds statement_timeout{2000};
  std::chrono::seconds keepalive_idle{10};
  std::chrono::seconds keepalive_interval{5};
  int keepalive_count = 3;
};

class PostgresConnection : public Connection {
 public:
  // `unavailable` (or `timeout`) when the server cannot be reached in time;
  // the message never holds the connection string.
  static Result<std::unique_ptr<PostgresConnection>> open(const std::string& conninfo,
                                                          const PostgresConnectOptions& options);
  ~PostgresConnection() override;

  Engine engine() const override { return Engine::postgres; }
  Result<Rows> query(std::string_view sql, const std::vector<Value>& params) override;
  Status script(std::string_view sql) override;
  bool usable() const override;
  bool alive() override;

 private:
  PostgresConnection(pg_conn* conn, PostgresConnectOptions options);
  // Sends what libpq has buffered and waits for the results, each step
  // bounded by `deadline`.
  Status flush_and_wait(std::chrono::steady_clock::time_point deadline);
  Status lost(const char* what);

  pg_conn* conn_;
  PostgresConnectOptions options_;
  bool broken_ = false;
};

}  // namespace herald::store
