// Asynchronous SQL over SQLite (the embedded default) or PostgreSQL
// (several nodes), in one dialect, so that each store is written once.
//
// Why: no event loop may wait on a database. Each store call becomes a job,
// a function that runs on one of the database's worker threads with a
// Connection, and whose Result is posted back to the executor (event loop)
// that asked. Stores are written as plain synchronous SQL inside the job.
//
// Dialect: placeholders are $1, $2, ... (both engines); DML that both accept
// (INSERT ... ON CONFLICT ... DO UPDATE, RETURNING, CURRENT_TIMESTAMP is not
// used: times are passed as integers). Values are NULL, 64-bit integers, text
// or blobs (BLOB in SQLite, BYTEA in PostgreSQL). DDL may differ per engine:
// a Migration holds one text per engine.
//
// Bounds, so a stalled engine costs a bounded wait, never a stuck loop:
//  - queue_timeout: a job not started within it completes with `timeout`
//    without running (nothing was done).
//  - statement_timeout: each statement is abandoned after it (PostgreSQL:
//    the server cancels it; a server that answers nothing at all is given a
//    quarter more, at least 250 ms, then the client drops the connection;
//    SQLite: the progress handler interrupts it, busy_timeout bounds lock
//    waits). The job then fails with `timeout`; for a write the outcome is
//    unknown.
//  - connect_timeout and TCP keep-alives (PostgreSQL): a dead server is
//    noticed; reconnects are tried at most every retry_interval, and jobs in
//    between fail fast with `unavailable`.
//  - answer_timeout(): whatever happens inside (a reconnect, a job of many
//    statements), `done` runs within queue_timeout + one statement's bound
//    (statement_bound()) of run(): past it the caller is answered `timeout`
//    and the job's own late result is dropped. Defaults: 2 s + 2.5 s = 4.5 s.
//
// Ordering: jobs may run concurrently on different workers, in any order.
// Jobs given the same non-empty `order_key` run one after another in the
// order they were submitted (same worker).
//
// Thread-safety: run() may be called from any thread; `done` runs on the
// given executor. A Connection is used only inside its job. Destroying the
// Database waits for running jobs and completes queued ones with
// `unavailable`. Connection strings and parameters are never logged (they may
// hold passwords and user data); errors are logged with the engine's message
// at debug only (it can name the server's address).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace herald::store {

enum class Engine { sqlite, postgres };

struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};
struct Null {
  bool operator==(const Null&) const = default;
};
using Value = std::variant<Null, int64_t, std::string, Blob>;

struct Row {
  std::vector<Value> values;
  bool is_null(size_t i) const { return std::holds_alternative<Null>(values.at(i)); }
  int64_t integer(size_t i) const;       // 0 for NULL
  const std::string& text(size_t i) const;  // text or blob bytes; "" for NULL
};

struct Rows {
  std::vector<Row> rows;
  int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Engine engine() const = 0;
  // False once the connection broke (a timeout or a lost server): the
  // worker then replaces it.
  virtual bool usable() const { return true; }
  // Called by the worker before each job, without waiting: also notices a
  // connection the server closed while it was idle (a restart), so that the
  // job gets a fresh connection instead of failing on the dead one.
  virtual bool alive() { return usable(); }
  // One statement with $N parameters. Errors: `exists` for a unique or
  // primary key violation, `timeout`, `unavailable` (connection lost),
  // `internal` otherwise.
  virtual Result<Rows> query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Several statements without parameters (migrations, DDL).
  virtual Status script(std::string_view sql) = 0;
  // BEGIN; work; COMMIT, or ROLLBACK when work (or COMMIT) fails. Not nested.
  Status transaction(const std::function<Status()>& work);
};

// A numbered schema change, append-only; versions count up from 1. Each runs
// in its own transaction, with the version bump.
struct Migration {
  int version;
  std::string sqlite;    // one or more statements
  std::string postgres;  // the same for PostgreSQL
};

// How long one statement may hold a worker: the statement timeout, then a
// quarter more (at least 250 ms) for a server that stopped answering.
inline std::chrono::milliseconds statement_bound(std::chrono::milliseconds statement_timeout) {
  return statement_timeout + std::max(std::chrono::milliseconds(250), statement_timeout / 4);
}

struct DatabaseOptions {
  Engine engine = Engine::sqlite;
  // SQLite: a file path (":memory:" is refused: workers need one file).
  // PostgreSQL: a libpq connection string or URI.
  std::string target;
  size_t workers = 2;
  std::chrono::milliseconds queue_timeout{2000};
  std::chrono::milliseconds statement_timeout{2000};
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds retry_interval{5000};
  // PostgreSQL TCP keep-alives (libpq keepalives_idle/interval/count).
  std::chrono::seconds keepalive_idle{10};
  std::chrono::seconds keepalive_interval{5};
  int keepalive_count = 3;
  // The table holding the schema version (one row, column `version`): each
  // application has its own, so two may share one PostgreSQL database.
  std::string version_table = "schema_version";

  // The bound on every asynchronous answer (see the top of this file).
  std::chrono::milliseconds answer_timeout() const {
    return queue_timeout + statement_bound(statement_timeout);
  }
};

class Database {
 public:
  // Start-up: connects every worker and applies `migrations` (PostgreSQL:
  // under an advisory lock, so nodes starting together never run one twice).
  // A database with a newer schema than the build knows is refused. Throws
  // std::runtime_error with a clear message (exceptions only at start-up).
  static std::unique_ptr<Database> open(const DatabaseOptions& options,
                                        const std::vector<Migration>& migrations);
  virtual ~Database() = default;

  virtual Engine engine() const = 0;
  virtual int schema_version() const = 0;
  virtual std::chrono::milliseconds answer_timeout() const = 0;
  // Whether the last job reached the engine (for readiness and metrics).
  virtual bool healthy() const = 0;

  // Runs `work` on a worker; `done` is posted to `executor` with its result
  // (or with `timeout`/`unavailable` if it could not run in time), within
  // answer_timeout(). The executor must run its handlers one at a time (an
  // event loop or a strand).
  template <typename T>
  void run(asio::any_io_executor executor, std::function<Result<T>(Connection&)> work,
           std::function<void(Result<T>)> done, std::string_view order_key = {});

  // For work whose only answer is success or failure.
  void run(asio::any_io_executor executor, std::function<Status(Connection&)> work,
           std::function<void(Status)> done, std::string_view order_key = {});

  // Start-up and command-line tools only (never on an event loop): runs the
  // job on a worker and waits for it.
  template <typename T>
  Result<T> run_sync(std::function<Result<T>(Connection&)> work);
  Status run_sync(std::function<Status(Connection&)> work);

 protected:
  // `job` runs on a worker with a connection, or with nullptr and the status
  // that kept it from running; it returns its completion, which the worker
  // calls once it has noted the connection's health.
  using Completion = std::function<void()>;
  using Job = std::function<Completion(Connection*, const Status&)>;
  virtual void submit(Job job, std::string_view order_key) = 0;

 private:
  // Submits `work` and blocks the calling thread until it has run.
  void wait_for(std::function<void(Connection*, const Status&)> work);
};

namespace detail {

// One asynchronous answer: the job's result or, at the deadline, `timeout`,
// whichever comes first; the other is dropped. Touched on the executor only,
// and destroyed there too: the worker hands its reference over with the
// result (deliver()), so the timer never dies on a worker thread, racing
// the loop or outliving it.
template <typename R>
class Answer : public std::enable_shared_from_this<Answer<R>> {
 public:
  Answer(asio::any_io_executor executor, std::function<void(R)> done)
      : executor_(std::move(executor)), done_(std::move(done)), timer_(executor_) {}

  void arm(std::chrono::milliseconds deadline) {
    timer_.expires_after(deadline);
    timer_.async_wait([self = this->shared_from_this(), deadline](std::error_code ec) {
      if (!ec)
        self->finish(R(Timeout("no answer from the store within " +
                               std::to_string(deadline.count()) + " ms")));
    });
  }
  // From the worker: hands the result, and the worker's reference, to the
  // executor.
  static void deliver(std::shared_ptr<Answer> self, R result) {
    asio::any_io_executor executor = self->executor_;
    asio::post(executor, [self = std::move(self), result = std::move(result)]() mutable {
      self->finish(std::move(result));
    });
  }

 private:
  void finish(R result) {
    if (!done_) return;
    timer_.cancel();
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }

  asio::any_io_executor executor_;
  std::function<void(R)> done_;
  asio::steady_timer timer_;
};

}  // namespace detail

template <typename T>
void Database::run(asio::any_io_executor executor, std::function<Result<T>(Connection&)> work,
                   std::function<void(Result<T>)> done, std::string_view order_key) {
  auto answer = std::make_shared<detail::Answer<Result<T>>>(std::move(executor), std::move(done));
  answer->arm(answer_timeout());
  submit(
      [answer, work = std::move(work)](Connection* c, const Status& refused) mutable -> Completion {
        Result<T> result = c ? work(*c) : Result<T>(refused);
        return [answer = std::move(answer), result = std::move(result)]() mutable {
          detail::Answer<Result<T>>::deliver(std::move(answer), std::move(result));
        };
      },
      order_key);
}

template <typename T>
Result<T> Database::run_sync(std::function<Result<T>(Connection&)> work) {
  std::optional<Result<T>> out;
  wait_for([&](Connection* c, const Status& refused) {
    out.emplace(c ? work(*c) : Result<T>(refused));
  });
  return std::move(*out);
}

// Start-up, command-line tools and tests only (never on an event loop):
// starts an asynchronous call, `start(executor, done)` (a store method with
// its arguments bound), on a private loop and waits for its answer.
//   auto all = store::await<Result<std::vector<Tombstone>>>(
//       [&](auto executor, auto done) { tombstones.load_all(executor, done); });
template <typename R, typename Start>
R await(Start start) {
  asio::io_context io;
  std::optional<R> out;
  start(io.get_executor(), std::function<void(R)>([&out](R r) { out.emplace(std::move(r)); }));
  io.run();
  return out ? std::move(*out) : R(Internal("the call never answered"));
}

}  // namespace herald::store
