// A throwaway PostgreSQL server for one test: initdb into a private temp
// dir, `postgres` on a random 127.x.y.z:5432 with fsync off, stopped and
// removed by the destructor. PostgreSQL refuses to run as root, so as root
// it runs as the `postgres` user (runuser). When the server binaries are
// missing, available() is false and why() says so; with
// HERALD_REQUIRE_POSTGRES=1 (CI) tests must fail instead of skipping.
#pragma once

#include <string>

namespace herald::store::testing {

class PostgresTestServer {
 public:
  PostgresTestServer();
  ~PostgresTestServer();
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;

  bool available() const { return running_; }
  // The only reason to skip rather than fail (and not in CI, see required()).
  bool binaries_missing() const { return binaries_missing_; }
  const std::string& why() const { return why_; }
  // libpq connection string for the `postgres` database as superuser.
  std::string conninfo() const;
  // Fast shutdown and start again on the same data and address.
  bool stop();
  bool start();
  // The postmaster's process id (from postmaster.pid), 0 if not running:
  // tests stop it with SIGSTOP to play a stalled server.
  int pid() const;
  // SIGSTOP (freeze) or SIGCONT (thaw) to the postmaster and every backend:
  // a server that accepts TCP but answers nothing.
  void freeze();
  void thaw();

  static bool required();

 private:
  bool run(const std::string& command);

  std::string bin_ = "/usr/lib/postgresql/15/bin";
  std::string dir_;
  std::string ip_;
  std::string as_user_;  // "runuser -u postgres -- " as root
  bool running_ = false;
  bool binaries_missing_ = false;
  std::string why_;
};

}  // namespace herald::store::testing
