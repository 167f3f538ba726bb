// What the store tests and the tests of the store's callers share: a
// private directory per test, the rule for tests that need a PostgreSQL
// (postgres_test_server.h), and running a loop until an answer came.
#pragma once

#include <unistd.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "postgres_test_server.h"
#include "store/database.h"

namespace herald::store::testing {

// A fresh directory under the system's temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs `io` until `done()` or `limit`; returns done().
template <typename Pred>
bool run_until(asio::io_context& io, Pred done,
               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.restart();
    io.run_for(std::chrono::milliseconds(2));
  }
  return done();
}

// Options for `pg` with bounds short enough for outage tests to take
// seconds: statement 400 ms, queue, connect and retry 300 ms.
inline DatabaseOptions quick_postgres(const PostgresTestServer& pg) {
  DatabaseOptions o;
  o.engine = Engine::postgres;
  o.target = pg.conninfo();
  o.statement_timeout = std::chrono::milliseconds(400);
  o.queue_timeout = std::chrono::milliseconds(300);
  o.connect_timeout = std::chrono::milliseconds(300);
  o.retry_interval = std::chrono::milliseconds(300);
  return o;
}

}  // namespace herald::store::testing

// In a test body: skips when PostgreSQL's binaries are missing (not in CI,
// see PostgresTestServer::required()), fails when the server did not start.
#define HERALD_NEED_POSTGRES(pg)                                                    \
  do {                                                                              \
    if (!(pg).available()) {                                                        \
      if ((pg).binaries_missing() && !::herald::store::testing::PostgresTestServer::required()) \
        GTEST_SKIP() << (pg).why();                                                 \
      FAIL() << (pg).why();                                                         \
    }                                                                               \
  } while (0)
