#include "store/database.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "base/log.h"
#include "store/postgres_connection.h"
#include "store/sqlite_connection.h"

namespace herald::store {

int64_t Row::integer(size_t i) const {
  const Value& v = values.at(i);
  if (auto* n = std::get_if<int64_t>(&v)) return *n;
  if (auto* s = std::get_if<std::string>(&v)) return std::atoll(s->c_str());
  return 0;
}

const std::string& Row::text(size_t i) const {
  static const std::string empty;
  const Value& v = values.at(i);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* b = std::get_if<Blob>(&v)) return b->bytes;
  return empty;
}

Status Connection::transaction(const std::function<Status()>& work) {
  if (Status s = script("BEGIN"); !s.ok()) return s;
  Status s = work();
  if (s.ok()) s = script("COMMIT");
  if (!s.ok() && usable()) (void)script("ROLLBACK");
  return s;
}

void Database::run(asio::any_io_executor executor, std::function<Status(Connection&)> work,
                   std::function<void(Status)> done, std::string_view order_key) {
  auto answer = std::make_shared<detail::Answer<Status>>(std::move(executor), std::move(done));
  answer->arm(answer_timeout());
  submit(
      [answer, work = std::move(work)](Connection* c, const Status& refused) mutable -> Completion {
        Status status = c ? work(*c) : refused;
        return [answer = std::move(answer), status = std::move(status)]() mutable {
          detail::Answer<Status>::deliver(std::move(answer), std::move(status));
        };
      },
      order_key);
}

Status Database::run_sync(std::function<Status(Connection&)> work) {
  Status out;
  wait_for([&](Connection* c, const Status& refused) { out = c ? work(*c) : refused; });
  return out;
}

void Database::wait_for(std::function<void(Connection*, const Status&)> work) {
  std::promise<void> finished;
  submit(
      [&](Connection* c, const Status& refused) -> Completion {
        work(c, refused);
        return [&finished] { finished.set_value(); };
      },
      {});
  finished.get_future().wait();
}

namespace {

using Clock = std::chrono::steady_clock;
using Connect = std::function<Result<std::unique_ptr<Connection>>(std::chrono::milliseconds)>;

// Brings the schema up to date under `table`'s one-row version count.
Status migrate(Connection& c, const std::string& table, const std::vector<Migration>& migrations,
               int* version) {
  for (char ch : table)
    if (!(ch == '_' || (ch >= 'a' && ch <= 'z'))) return Invalid("bad version table name");
  bool postgres = c.engine() == Engine::postgres;
  // Nodes starting together take turns; the later one finds nothing to do.
  if (postgres) {
    auto locked = c.query("SELECT pg_advisory_lock(hashtext($1))", {std::string("herald:" + table)});
    if (!locked.ok()) return locked.status();
  }
  auto body = [&]() -> Status {
    if (Status s = c.script("CREATE TABLE IF NOT EXISTS " + table + " (version INTEGER NOT NULL)");
        !s.ok())
      return s;
    auto rows = c.query("SELECT version FROM " + table);
    if (!rows.ok()) return rows.status();
    if (rows->rows.empty()) {
      auto inserted = c.query("INSERT INTO " + table + " (version) VALUES (0)");
      if (!inserted.ok()) return inserted.status();
      *version = 0;
    } else {
      *version = int(rows->rows.front().integer(0));
    }
    int latest = migrations.empty() ? 0 : migrations.back().version;
    if (*version > latest)
      return Invalid("the database has schema version " + std::to_string(*version) +
                     ", newer than this build knows (" + std::to_string(latest) + ")");
    for (const auto& m : migrations) {
      if (m.version <= *version) continue;
      Status s = c.transaction([&] {
        if (Status step = c.script(postgres ? m.postgres : m.sqlite); !step.ok()) return step;
        auto bumped = c.query("UPDATE " + table + " SET version = $1", {int64_t(m.version)});
        return bumped.ok() ? Status::Ok() : bumped.status();
      });
      if (!s.ok())
        return Status(s.code(), "migration to schema version " + std::to_string(m.version) +
                                    " failed: " + s.message());
      *version = m.version;
    }
    return Status::Ok();
  };
  Status s = body();
  if (postgres && c.usable())
    (void)c.query("SELECT pg_advisory_unlock(hashtext($1))", {std::string("herald:" + table)});
  return s;
}

// Workers, each with its own connection, taking jobs from a shared queue and
// from their own (jobs with an order key always go to the same worker).
class PooledDatabase : public Database {
 public:
  PooledDatabase(const DatabaseOptions& options, Connect connect, int version,
                 std::vector<std::unique_ptr<Connection>> connections)
      : options_(options), connect_(std::move(connect)), version_(version) {
    for (auto& c : connections) {
      auto w = std::make_unique<Worker>();
      w->connection = std::move(c);
      workers_.push_back(std::move(w));
    }
    for (auto& w : workers_) w->thread = std::thread([this, w = w.get()] { work(*w); });
  }

  ~PooledDatabase() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w->thread.join();
    // Jobs nobody took: completed as refused (their executors may be gone;
    // posting to a stopped loop only drops the handler).
    auto refuse = [](std::deque<Queued>& q) {
      for (auto& j : q) j.job(nullptr, Unavailable("the store is shutting down"))();
      q.clear();
    };
    refuse(shared_);
    for (auto& w : workers_) refuse(w->own);
  }

  Engine engine() const override { return options_.engine; }
  int schema_version() const override { return version_; }
  std::chrono::milliseconds answer_timeout() const override { return options_.answer_timeout(); }
  bool healthy() const override { return healthy_.load(std::memory_order_relaxed); }

 protected:
  void submit(Job job, std::string_view order_key) override {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        Queued q{std::move(job), Clock::now()};
        if (order_key.empty())
          shared_.push_back(std::move(q));
        else
          workers_[std::hash<std::string_view>{}(order_key) % workers_.size()]->own.push_back(
              std::move(q));
        wake_.notify_all();
        return;
      }
    }
    job(nullptr, Unavailable("the store is shutting down"))();
  }

 private:
  struct Queued {
    Job job;
    Clock::time_point queued;
  };
  struct Worker {
    std::thread thread;
    std::deque<Queued> own;
    std::unique_ptr<Connection> connection;
    Clock::time_point next_attempt{};
  };

  void work(Worker& w) {
    for (;;) {
      Queued q;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !w.own.empty() || !shared_.empty(); });
        if (stopping_) return;
        auto& from = !w.own.empty() ? w.own : shared_;
        q = std::move(from.front());
        from.pop_front();
      }
      run_one(w, q);
    }
  }

  void run_one(Worker& w, Queued& q) {
    auto now = Clock::now();
    if (now - q.queued > options_.queue_timeout) {
      q.job(nullptr, Timeout("waited over " + std::to_string(options_.queue_timeout.count()) +
                             " ms for the store"))();
      return;
    }
    if (!w.connection || !w.connection->alive()) {
      w.connection.reset();
      if (now < w.next_attempt) {
        q.job(nullptr, Unavailable("the database is unreachable"))();
        return;
      }
      auto c = connect_(options_.statement_timeout);
      if (!c.ok()) {
        w.next_attempt = now + options_.retry_interval;
        set_healthy(false, c.status());
        q.job(nullptr, c.status())();
        return;
      }
      w.connection = std::move(c).value();
    }
    Completion complete = q.job(w.connection.get(), Status::Ok());
    if (w.connection->usable()) {
      set_healthy(true, {});
    } else {
      w.connection.reset();
      w.next_attempt = Clock::now() + options_.retry_interval;
      set_healthy(false, Unavailable("connection lost"));
    }
    complete();
  }

  // One line when the store goes down and one when it is back, never one per job.
  void set_healthy(bool up, const Status& why) {
    const char* what = options_.engine == Engine::sqlite ? "SQLite" : "PostgreSQL";
    bool was = healthy_.exchange(up);
    if (was && !up)
      log::warn("store: {} unreachable ({}); retrying every {} ms", what, why.to_string(),
                options_.retry_interval.count());
    if (!was && up) log::info("store: {} reachable again", what);
  }

  DatabaseOptions options_;
  Connect connect_;
  int version_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> shared_;
  bool stopping_ = false;
  std::atomic<bool> healthy_{true};
};

}  // namespace

std::unique_ptr<Database> Database::open(const DatabaseOptions& options,
                                         const std::vector<Migration>& migrations) {
  Connect connect;
  if (options.engine == Engine::sqlite) {
    connect = [path = options.target](std::chrono::milliseconds timeout)
        -> Result<std::unique_ptr<Connection>> {
      auto c = SqliteConnection::open(path, timeout);
      if (!c.ok()) return c.status();
      return std::unique_ptr<Connection>(std::move(c).value());
    };
  } else {
    PostgresConnectOptions pg;
    pg.connect_timeout = options.connect_timeout;
    pg.keepalive_idle = options.keepalive_idle;
    pg.keepalive_interval = options.keepalive_interval;
    pg.keepalive_count = options.keepalive_count;
    connect = [conninfo = options.target, pg](std::chrono::milliseconds timeout) mutable
        -> Result<std::unique_ptr<Connection>> {
      pg.statement_timeout = timeout;
      auto c = PostgresConnection::open(conninfo, pg);
      if (!c.ok()) return c.status();
      return std::unique_ptr<Connection>(std::move(c).value());
    };
  }
  const char* what = options.engine == Engine::sqlite ? "SQLite" : "PostgreSQL";
  // Migrations may rebuild tables: they get minutes, not the statement timeout.
  auto migrator = connect(std::max(options.statement_timeout, std::chrono::milliseconds(300'000)));
  if (!migrator.ok())
    throw std::runtime_error(std::string("store: cannot open the ") + what + " database: " +
                             migrator.status().to_string());
  int version = 0;
  if (Status s = migrate(**migrator, options.version_table, migrations, &version); !s.ok())
    throw std::runtime_error(std::string("store: ") + what + ": " + s.to_string());
  migrator->reset();
  std::vector<std::unique_ptr<Connection>> connections;
  size_t workers = std::max<size_t>(options.workers, 1);
  for (size_t i = 0; i < workers; ++i) {
    auto c = connect(options.statement_timeout);
    if (!c.ok())
      throw std::runtime_error(std::string("store: cannot open the ") + what + " database: " +
                               c.status().to_string());
    connections.push_back(std::move(c).value());
  }
  return std::make_unique<PooledDatabase>(options, std::move(connect), version,
                                          std::move(connections));
}

}  // namespace herald::store
