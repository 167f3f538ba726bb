#include "store/redis_windows.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <asio/post.hpp>

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

// Calls taken from the queue at once: one pipelined round trip.
constexpr size_t kMaxBatch = 512;

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

bool is_noscript(const redisReply* r) {
  return r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("NOSCRIPT");
}

}  // namespace

// One call. The worker reads only the request fields (set before the call
// is queued); `answered` and `done` belong to the loop.
struct RedisWindows::Call {
  bool advance = true;  // else restart
  std::string key;
  std::string window, grace;  // ms, as text
  Clock::time_point deadline;
  bool answered = false;
  std::function<void(const Reply&)> done;
};

RedisWindows::RedisWindows(asio::any_io_executor loop, RedisOptions options)
    : loop_(std::move(loop)),
      options_(std::move(options)),
      deadline_(loop_),
      self_(std::make_shared<RedisWindows*>(this)) {
  worker_ = std::thread([this, weak = std::weak_ptr<RedisWindows*>(self_)] {
    std::deque<std::shared_ptr<Call>> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) break;
        while (!queue_.empty() && batch.size() < kMaxBatch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::vector<Reply> replies(batch.size());
      run_batch(batch, replies);
      asio::post(loop_, [weak, batch = std::move(batch), replies = std::move(replies)] {
        auto self = weak.lock();
        if (!self) return;
        for (size_t i = 0; i < batch.size(); ++i) {
          Call& c = *batch[i];
          if (c.answered) continue;
          c.answered = true;
          auto done = std::move(c.done);
          c.done = nullptr;
          done(replies[i]);
        }
      });
      batch.clear();
    }
    if (ctx_) redisFree(ctx_);
  });
}

RedisWindows::~RedisWindows() {
  self_.reset();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

bool RedisWindows::down() const {
  int64_t until = down_until_.load(std::memory_order_relaxed);
  return until != 0 && Clock::now().time_since_epoch().count() < until;
}

std::string RedisWindows::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void RedisWindows::advance(std::string_view key, std::chrono::milliseconds window,
                           std::chrono::milliseconds grace,
                           std::function<void(std::optional<Outcome>)> done) {
  auto call = std::make_shared<Call>();
  call->key = options_.key_prefix + std::string(key);
  call->window = std::to_string(window.count());
  call->grace = std::to_string(grace.count());
  call->done = [done = std::move(done)](const Reply& r) { done(r.ok ? r.outcome : std::nullopt); };
  submit(std::move(call));
}

void RedisWindows::restart(std::string_view key, std::chrono::milliseconds window,
                           std::function<void(bool)> done) {
  auto call = std::make_shared<Call>();
  call->advance = false;
  call->key = options_.key_prefix + std::string(key);
  call->window = std::to_string(window.count());
  call->done = [done = std::move(done)](const Reply& r) { done(r.ok); };
  submit(std::move(call));
}

void RedisWindows::submit(std::shared_ptr<Call> call) {
  if (down()) return call->done(Reply{});
  call->deadline = Clock::now() + options_.timeout;
  waiting_.push_back(call);
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(call));
  }
  wake_.notify_one();
  arm_deadline();
}

void RedisWindows::arm_deadline() {
  while (!waiting_.empty() && waiting_.front()->answered) waiting_.pop_front();
  if (deadline_armed_ || waiting_.empty()) return;
  deadline_armed_ = true;
  deadline_.expires_at(waiting_.front()->deadline);
  deadline_.async_wait([weak = std::weak_ptr<RedisWindows*>(self_)](std::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    (*self)->on_deadline();
  });
}

// Calls Redis has not answered in time are answered as failed; the worker's
// late answer for them is dropped.
void RedisWindows::on_deadline() {
  deadline_armed_ = false;
  auto now = Clock::now();
  bool late = false;
  while (!waiting_.empty() && (waiting_.front()->answered || waiting_.front()->deadline <= now)) {
    Call& c = *waiting_.front();
    if (!c.answered) {
      late = true;
      c.answered = true;
      auto done = std::move(c.done);
      c.done = nullptr;
      done(Reply{});
    }
    waiting_.pop_front();
  }
  if (late) {
    std::lock_guard lock(mutex_);
    error_ = "no answer within " + std::to_string(options_.timeout.count()) + " ms";
  }
  arm_deadline();
}

// --- worker thread ---

void RedisWindows::drop(const std::string& what) {
  {
    std::lock_guard lock(mutex_);
    error_ = what + (ctx_ && ctx_->errstr[0] ? std::string(": ") + ctx_->errstr : "");
  }
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
  script_sha_.clear();
  down_until_.store((Clock::now() + options_.retry_interval).time_since_epoch().count(),
                    std::memory_order_relaxed);
}

bool RedisWindows::load_script() {
  ReplyPtr r(static_cast<redisReply*>(redisCommand(ctx_, "SCRIPT LOAD %s", kAdvance)));
  if (!r) {
    drop("SCRIPT LOAD");
    return false;
  }
  if (r->type != REDIS_REPLY_STRING) {
    drop(r->type == REDIS_REPLY_ERROR ? "SCRIPT LOAD refused" : "SCRIPT LOAD: unexpected reply");
    return false;
  }
  script_sha_.assign(r->str, r->len);
  return true;
}

bool RedisWindows::connect() {
  ctx_ = redisConnectWithTimeout(options_.host.c_str(), options_.port, to_timeval(options_.timeout));
  if (!ctx_ || ctx_->err) {
    drop("connect");
    return false;
  }
  redisSetTimeout(ctx_, to_timeval(options_.timeout));
  if (!options_.password.empty()) {
    ReplyPtr r(static_cast<redisReply*>(
        redisCommand(ctx_, "AUTH %b", options_.password.data(), options_.password.size())));
    if (!r || r->type == REDIS_REPLY_ERROR) {
      drop(r ? "AUTH refused" : "AUTH");
      return false;
    }
  }
  if (!load_script()) return false;
  down_until_.store(0, std::memory_order_relaxed);
  return true;
}

void RedisWindows::run_batch(std::deque<std::shared_ptr<Call>>& batch, std::vector<Reply>& replies) {
  if (!ctx_) {
    if (down() || !connect()) return;
  }
  auto append = [&](const Call& c) {
    if (c.advance)
      redisAppendCommand(ctx_, "EVALSHA %s 1 %b %b %b", script_sha_.c_str(), c.key.data(),
                         c.key.size(), c.window.data(), c.window.size(), c.grace.data(),
                         c.grace.size());
    else
      redisAppendCommand(ctx_, "SET %b o PX %b", c.key.data(), c.key.size(), c.window.data(),
                         c.window.size());
  };
  // Reads the answers to `sent`, in order; those answered NOSCRIPT go to
  // *again. False when the connection failed (it is dropped).
  auto read = [&](const std::vector<size_t>& sent, std::vector<size_t>* again) {
    for (size_t i : sent) {
      void* raw = nullptr;
      if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
        drop("command");
        return false;
      }
      ReplyPtr r(static_cast<redisReply*>(raw));
      const Call& c = *batch[i];
      if (again && is_noscript(r.get())) {
        again->push_back(i);
      } else if (!c.advance) {
        replies[i].ok = r->type == REDIS_REPLY_STATUS;
      } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                 r->element[0]->type == REDIS_REPLY_INTEGER &&
                 r->element[1]->type == REDIS_REPLY_INTEGER) {
        long long step = r->element[0]->integer;
        replies[i].ok = true;
        replies[i].outcome = Outcome{step == 0   ? Step::opened
                                     : step == 1 ? Step::marked
                                                 : Step::already_marked,
                                     std::chrono::milliseconds(r->element[1]->integer)};
      } else {
        std::lock_guard lock(mutex_);
        error_ = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "unexpected reply";
      }
    }
    return true;
  };
  // Calls already past their deadline were answered on the loop: not sent.
  auto now = Clock::now();
  std::vector<size_t> sent, again;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i]->deadline <= now) continue;
    append(*batch[i]);
    sent.push_back(i);
  }
  if (!read(sent, &again) || again.empty()) return;
  // Redis lost the script (restarted, SCRIPT FLUSH): load it again, once.
  if (!load_script()) return;
  for (size_t i : again) append(*batch[i]);
  read(again, nullptr);
}

}  // namespace herald::store
