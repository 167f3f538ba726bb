// Per-key time windows shared by several processes through Redis (hiredis),
// for limits that must hold across Herald nodes. Knows nothing of what the
// keys mean: callers pass opaque keys (keyed hashes, never raw identifiers).
//
// A window per key has two states: open (started by advance() when no window
// exists) and marked (the first advance() inside an open window marks it and
// extends its lifetime by `grace`, so the marker can restart() it before
// anyone else opens a new one). Each advance() is one atomic Lua script, run
// with EVALSHA: the script is loaded once per connection (SCRIPT LOAD) and
// again when Redis answers NOSCRIPT (it restarted or was flushed).
//
// Asynchronous, never on the caller's loop: calls go to one worker thread
// that owns a blocking hiredis connection with `timeout` on connect, reads
// and writes, and sends whatever has queued up in one pipelined batch. Why a
// thread and not hiredis's asynchronous API: the hiredis in Debian 12 (0.14)
// has no timeouts in its asynchronous API and resolves host names with a
// blocking getaddrinfo, both of which would have to be kept off the loop
// anyway; on the thread they are harmless, and pipelining keeps the cost per
// call to two hand-offs.
//
// Bounds: every call's `done` runs on the loop within `timeout` of the call
// (a loop-side deadline, whatever the worker is doing): nullopt/false if
// Redis did not answer by then. A failed connection is retried at most
// every `retry_interval`; in between, calls answer nullopt/false at once,
// before they return, without a trip to the worker. Used from the one loop
// whose executor it was given; destroying it drops unanswered calls.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

struct redisContext;

namespace herald::store {

struct RedisOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string password;                  // AUTH when not empty
  std::string key_prefix = "herald:";    // namespaces our keys in a shared Redis
  std::chrono::milliseconds timeout{50};  // per call, and connect/read/write on the worker
  std::chrono::milliseconds retry_interval{5000};
};

class RedisWindows {
 public:
  enum class Step {
    opened,          // no window existed: one now starts, lasting `window`
    marked,          // the window was open: now marked (remaining = until its end)
    already_marked,  // someone marked it before
  };
  struct Outcome {
    Step step;
    std::chrono::milliseconds remaining;  // until the window's end
  };

  RedisWindows(asio::any_io_executor loop, RedisOptions options);
  ~RedisWindows();
  RedisWindows(const RedisWindows&) = delete;
  RedisWindows& operator=(const RedisWindows&) = delete;

  // nullopt: Redis unreachable, failing or too slow (see error()).
  void advance(std::string_view key, std::chrono::milliseconds window,
               std::chrono::milliseconds grace, std::function<void(std::optional<Outcome>)> done);
  // Starts a new open window for `key`, replacing any. False when unreachable.
  void restart(std::string_view key, std::chrono::milliseconds window,
               std::function<void(bool)> done);

  // Redis failed and the retry interval has not passed: calls answer at once.
  bool down() const;
  // What the last failure was (no keys in it).
  std::string error() const;

 private:
  struct Call;
  struct Reply {
    bool ok = false;
    std::optional<Outcome> outcome;
  };
  using Clock = std::chrono::steady_clock;

  void submit(std::shared_ptr<Call> call);
  void arm_deadline();
  void on_deadline();
  // Worker thread.
  void run_batch(std::deque<std::shared_ptr<Call>>& batch, std::vector<Reply>& replies);
  bool connect();
  void drop(const std::string& what);
  bool load_script();

  asio::any_io_executor loop_;
  RedisOptions options_;

  // Loop side: calls not yet answered, oldest first (deadlines in order).
  std::deque<std::shared_ptr<Call>> waiting_;
  asio::steady_timer deadline_;
  bool deadline_armed_ = false;
  std::shared_ptr<RedisWindows*> self_;  // posted answers hold a weak_ptr

  // Shared with the worker.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Call>> queue_;
  bool stopping_ = false;
  std::string error_;
  std::atomic<int64_t> down_until_{0};  // Clock ticks; 0: not down

  // Worker only.
  redisContext* ctx_ = nullptr;
  std::string script_sha_;
  std::thread worker_;
};

}  // namespace herald::store
