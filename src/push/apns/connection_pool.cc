#include "push/apns/connection_pool.h"

#include <algorithm>

#include "base/log.h"

namespace herald::push::apns {
namespace {

constexpr std::chrono::seconds kMaxBackoff{60};

}  // namespace

struct ConnectionPool::Entry {
  Entry(asio::io_context& io, Http2Request r, Http2Connection::Callback cb)
      : request(std::move(r)), done(std::move(cb)), queue_timer(io) {}
  Http2Request request;
  Http2Connection::Callback done;  // empty once answered
  asio::steady_timer queue_timer;  // while waiting in the queue
  int attempts = 0;
};

ConnectionPool::ConnectionPool(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                               PoolOptions options)
    : io_(io),
      tls_(std::move(tls)),
      options_(std::move(options)),
      self_(std::make_shared<ConnectionPool*>(this)) {
  options_.connections = std::max<size_t>(options_.connections, 1);
  options_.max_attempts = std::max(options_.max_attempts, 1);
}

ConnectionPool::~ConnectionPool() {
  self_.reset();
  fail_queue("upstream shut down");
  // Closing fails their streams; the callbacks see the pool gone and report.
  for (auto& c : live_) c->close("upstream shut down");
  for (auto& c : draining_) c->close("upstream shut down");
}

void ConnectionPool::submit(Http2Request request, Http2Connection::Callback done) {
  auto entry = std::make_shared<Entry>(io_, std::move(request), std::move(done));
  if (queue_.size() >= options_.max_queue) {
    ++stats_.queue_full;
    return fail(entry, "queue full");
  }
  arm_queue_timeout(entry);
  queue_.push_back(std::move(entry));
  stats_.max_queued = std::max(stats_.max_queued, queue_.size());
  dispatch();
}

void ConnectionPool::dispatch() {
  if (dispatching_) return;  // send_on() may re-enter through capacity handlers
  dispatching_ = true;
  while (!queue_.empty()) {
    std::shared_ptr<Http2Connection> best;
    for (auto& c : live_) {
      if (c->free_slots() > 0 && (!best || c->free_slots() > best->free_slots())) best = c;
    }
    if (best) {
      std::shared_ptr<Entry> entry = std::move(queue_.front());
      queue_.pop_front();
      send_on(best, std::move(entry));
      continue;
    }
    // No room: open another connection unless one is still coming up (it
    // will pull from the queue) or the pool is full.
    bool connecting =
        std::any_of(live_.begin(), live_.end(), [](const auto& c) { return !c->connected(); });
    if (!connecting && live_.size() < options_.connections) {
      if (connect_failures_ > 0 && std::chrono::steady_clock::now() < next_connect_) {
        // What waited for the failed connection learns why it failed.
        if (live_.empty()) fail_queue(last_connect_error_);
        break;
      }
      open_connection();
    }
    break;
  }
  dispatching_ = false;
}

void ConnectionPool::send_on(const std::shared_ptr<Http2Connection>& conn,
                             std::shared_ptr<Entry> entry) {
  entry->queue_timer.cancel();
  ++entry->attempts;
  std::weak_ptr<ConnectionPool*> weak = self_;
  Http2Request copy = entry->request;  // kept for a resend elsewhere
  conn->submit(std::move(copy), [weak, entry](Http2Result result) {
    if (auto self = weak.lock()) return (*self)->on_result(entry, std::move(result));
    if (entry->done) {
      auto done = std::move(entry->done);
      entry->done = nullptr;
      done(std::move(result));
    }
  });
}

void ConnectionPool::on_result(const std::shared_ptr<Entry>& entry, Http2Result result) {
  if (!entry->done) return;
  if (result.outcome == Http2Outcome::not_processed && entry->attempts < options_.max_attempts) {
    // Provably not processed: safe to send again, ahead of newer requests.
    ++stats_.resent;
    log::debug("apns pool {}: request not processed ({}), queued again", options_.host,
               result.error);
    arm_queue_timeout(entry);
    queue_.push_front(entry);
    dispatch();
    return;
  }
  auto done = std::move(entry->done);
  entry->done = nullptr;
  done(std::move(result));  // already posted by the connection
}

void ConnectionPool::open_connection() {
  Http2Options o;
  o.host = options_.host;
  o.port = options_.port;
  o.request_timeout = options_.request_timeout;
  o.ping_interval = options_.ping_interval;
  o.connect_timeout = options_.connect_timeout;
  auto conn = Http2Connection::create(io_, tls_, o);
  std::weak_ptr<ConnectionPool*> weak = self_;
  Http2Connection* raw = conn.get();
  conn->set_closed_handler([weak, raw](bool was_connected, const std::string& why) {
    if (auto self = weak.lock()) (*self)->on_closed(raw, was_connected, why);
  });
  conn->set_capacity_handler([weak, raw] {
    auto self = weak.lock();
    if (!self) return;
    ConnectionPool& pool = **self;
    if (!raw->accepting()) {
      // GOAWAY: stop counting it, let it finish what it accepted.
      auto it = std::find_if(pool.live_.begin(), pool.live_.end(),
                             [raw](const auto& c) { return c.get() == raw; });
      if (it != pool.live_.end()) {
        pool.draining_.push_back(std::move(*it));
        pool.live_.erase(it);
      }
    }
    pool.dispatch();
  });
  ++stats_.connections_opened;
  live_.push_back(conn);
  conn->start();
}

void ConnectionPool::on_closed(Http2Connection* conn, bool was_connected, const std::string& why) {
  auto drop = [conn](std::vector<std::shared_ptr<Http2Connection>>& v) {
    v.erase(std::remove_if(v.begin(), v.end(), [conn](const auto& c) { return c.get() == conn; }),
            v.end());
  };
  drop(live_);
  drop(draining_);
  if (was_connected) {
    connect_failures_ = 0;
    log::info("apns {}: connection closed: {}", options_.host, why);
  } else {
    ++connect_failures_;
    last_connect_error_ = why;
    auto backoff = std::min<std::chrono::seconds>(
        kMaxBackoff, std::chrono::seconds(int64_t{1} << std::min(connect_failures_ - 1, 6)));
    next_connect_ = std::chrono::steady_clock::now() + backoff;
    log::warn("apns {}: connect failed ({} in a row, next try in {} s): {}", options_.host,
              connect_failures_, backoff.count(), why);
  }
  dispatch();
}

void ConnectionPool::fail(const std::shared_ptr<Entry>& entry, std::string why) {
  entry->queue_timer.cancel();
  if (!entry->done) return;
  asio::post(io_, [done = std::move(entry->done), why = std::move(why)]() mutable {
    done({Http2Outcome::not_processed, {}, std::move(why)});
  });
  entry->done = nullptr;
}

void ConnectionPool::arm_queue_timeout(const std::shared_ptr<Entry>& entry) {
  std::weak_ptr<ConnectionPool*> weak = self_;
  std::weak_ptr<Entry> weak_entry = entry;
  entry->queue_timer.expires_after(options_.request_timeout);
  entry->queue_timer.async_wait([weak, weak_entry](const asio::error_code& ec) {
    auto self = weak.lock();
    auto e = weak_entry.lock();
    if (ec || !self || !e || !e->done) return;
    auto& q = (*self)->queue_;
    q.erase(std::remove(q.begin(), q.end(), e), q.end());
    (*self)->fail(e, "timeout while queued");
  });
}

void ConnectionPool::fail_queue(const std::string& why) {
  auto queue = std::move(queue_);
  queue_.clear();
  for (auto& e : queue) fail(e, why);
}

}  // namespace herald::push::apns
