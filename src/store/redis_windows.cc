#include "store/redis_windows.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace herald::store {

namespace {

// KEYS[1]: the window; ARGV[1]: window ms; ARGV[2]: grace ms.
// Returns {step, remaining ms}: 0 opened, 1 marked, 2 already marked.
constexpr const char* kAdvance =
    "local v = redis.call('GET', KEYS[1]) "
    "if not v then "
    "  redis.call('SET', KEYS[1], 'o', 'PX', ARGV[1]) "
    "  return {0, tonumber(ARGV[1])} "
    "end "
    "local ttl = redis.call('PTTL', KEYS[1]) "
    "if ttl < 0 then ttl = 0 end "
    "if v == 'o' then "
    "  redis.call('SET', KEYS[1], 'm', 'PX', ttl + tonumber(ARGV[2])) "
    "  return {1, ttl} "
    "end "
    "return {2, math.max(ttl - tonumber(ARGV[2]), 0)}";

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

RedisWindows::RedisWindows(RedisOptions options) : options_(std::move(options)) {}

RedisWindows::~RedisWindows() {
  if (ctx_) redisFree(ctx_);
}

void RedisWindows::drop(const char* what) {
  error_ = std::string(what) + (ctx_ && ctx_->errstr[0] ? std::string(": ") + ctx_->errstr : "");
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
  next_attempt_ = std::chrono::steady_clock::now() + options_.retry_interval;
}

bool RedisWindows::ensure_connected() {
  if (ctx_) return true;
  if (std::chrono::steady_clock::now() < next_attempt_) return false;
  ctx_ = redisConnectWithTimeout(options_.host.c_str(), options_.port, to_timeval(options_.timeout));
  if (!ctx_ || ctx_->err) {
    drop("connect");
    return false;
  }
  redisSetTimeout(ctx_, to_timeval(options_.timeout));
  if (!options_.password.empty()) {
    Reply r(static_cast<redisReply*>(
        redisCommand(ctx_, "AUTH %b", options_.password.data(), options_.password.size())));
    if (!r || r->type == REDIS_REPLY_ERROR) {
      drop("AUTH refused");
      return false;
    }
  }
  return true;
}

std::optional<RedisWindows::Outcome> RedisWindows::advance(std::string_view key,
                                                           std::chrono::milliseconds window,
                                                           std::chrono::milliseconds grace) {
  if (!ensure_connected()) return std::nullopt;
  std::string full = options_.key_prefix + std::string(key);
  std::string w = std::to_string(window.count()), g = std::to_string(grace.count());
  Reply r(static_cast<redisReply*>(redisCommand(ctx_, "EVAL %s 1 %b %b %b", kAdvance, full.data(),
                                                full.size(), w.data(), w.size(), g.data(),
                                                g.size())));
  if (!r) {
    drop("command");
    return std::nullopt;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER) {
    error_ = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "unexpected reply";
    return std::nullopt;
  }
  auto step = r->element[0]->integer == 0   ? Step::opened
              : r->element[0]->integer == 1 ? Step::marked
                                            : Step::already_marked;
  return Outcome{step, std::chrono::milliseconds(r->element[1]->integer)};
}

bool RedisWindows::restart(std::string_view key, std::chrono::milliseconds window) {
  if (!ensure_connected()) return false;
  std::string full = options_.key_prefix + std::string(key);
  std::string w = std::to_string(window.count());
  Reply r(static_cast<redisReply*>(
      redisCommand(ctx_, "SET %b o PX %b", full.data(), full.size(), w.data(), w.size())));
  if (!r) {
    drop("command");
    return false;
  }
  return r->type == REDIS_REPLY_STATUS;
}

}  // namespace herald::store
