// Per-key time windows shared by several processes through Redis (hiredis),
// for limits that must hold across Herald nodes. Knows nothing of what the
// keys mean: callers pass opaque keys (keyed hashes, never raw identifiers).
//
// A window per key has two states: open (started by advance() when no window
// exists) and marked (the first advance() inside an open window marks it and
// extends its lifetime by `grace`, so the marker can restart() it before
// anyone else opens a new one). Each advance() is one atomic Lua script.
//
// Blocking by design, with a short timeout: on a LAN a call takes well under
// a millisecond. When Redis does not answer within the timeout the call
// returns nullopt/false and the client does not try again for
// `retry_interval`, so an unreachable Redis costs at most one timeout per
// interval on the caller's thread. One thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct redisContext;

namespace herald::store {

struct RedisOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string password;                  // AUTH when not empty
  std::string key_prefix = "herald:";    // namespaces our keys in a shared Redis
  std::chrono::milliseconds timeout{50};  // connect and per command
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

  explicit RedisWindows(RedisOptions options);
  ~RedisWindows();
  RedisWindows(const RedisWindows&) = delete;
  RedisWindows& operator=(const RedisWindows&) = delete;

  // nullopt: Redis unreachable or failing (see error()).
  std::optional<Outcome> advance(std::string_view key, std::chrono::milliseconds window,
                                 std::chrono::milliseconds grace);
  // Starts a new open window for `key`, replacing any. False when unreachable.
  bool restart(std::string_view key, std::chrono::milliseconds window);

  // What the last failure was (no keys in it).
  const std::string& error() const { return error_; }

 private:
  bool ensure_connected();
  void drop(const char* what);

  RedisOptions options_;
  redisContext* ctx_ = nullptr;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::string error_;
};

}  // namespace herald::store
