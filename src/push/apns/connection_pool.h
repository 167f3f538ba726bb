// A small pool of HTTP/2 connections to one upstream host with one set of
// credentials (TLS client certificate or none), shared by every push module
// that uses the same host and credentials.
//
// Contract: lives on one io_context thread. Requests wait in the pool's own
// bounded queue and go to a connection only when it can start them as
// streams at once (Http2Connection::free_slots(), so MAX_CONCURRENT_STREAMS
// is honoured and a GOAWAY never strands a queue on a dying connection).
// When no connection has room, another one is opened, up to `connections`
// live ones; connections that got GOAWAY drain on their own and no longer
// count. A request the server provably did not process (REFUSED_STREAM,
// above GOAWAY's last-stream-id, never written) goes back to the front of the
// queue, up to `max_attempts` times; a request with an unknown outcome is
// never resent. When the queue holds `max_queue` requests a new one fails at
// once (not_processed, "queue full"); requests waiting longer than the
// request timeout fail as not_processed. After failed connects new ones wait
// out a backoff (1 s doubling to 60 s); while no connection is up then,
// queued and new requests fail fast (not_processed, "connect backoff").
// Callbacks run exactly once, posted, also when the pool is destroyed.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "push/apns/http2_connection.h"

namespace herald::push::apns {

struct PoolOptions {
  std::string host;
  uint16_t port = 443;
  size_t connections = 2;   // live connections at most
  size_t max_queue = 1000;  // requests waiting for a stream
  int max_attempts = 4;     // sends of one request, counting the first
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds ping_interval{60000};  // 0: no pings
  std::chrono::milliseconds connect_timeout{10000};
};

struct PoolStats {
  uint64_t connections_opened = 0;
  uint64_t resent = 0;      // requests put back after not being processed
  uint64_t queue_full = 0;  // requests refused because the queue was full
  size_t max_queued = 0;
};

class ConnectionPool {
 public:
  ConnectionPool(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                 PoolOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void submit(Http2Request request, Http2Connection::Callback done);

  const PoolOptions& options() const { return options_; }
  const PoolStats& stats() const { return stats_; }
  size_t queued() const { return queue_.size(); }
  size_t live_connections() const { return live_.size(); }

 private:
  struct Entry;

  void dispatch();
  void send_on(const std::shared_ptr<Http2Connection>& conn, std::shared_ptr<Entry> entry);
  void on_result(const std::shared_ptr<Entry>& entry, Http2Result result);
  void open_connection();
  void on_closed(Http2Connection* conn, bool was_connected, const std::string& why);
  void fail(const std::shared_ptr<Entry>& entry, std::string why);
  void fail_queue(const std::string& why);
  // A queued push not sent within the request timeout is failed.
  void arm_queue_timeout(const std::shared_ptr<Entry>& entry);

  asio::io_context& io_;
  std::shared_ptr<asio::ssl::context> tls_;
  PoolOptions options_;
  PoolStats stats_;
  std::deque<std::shared_ptr<Entry>> queue_;
  std::vector<std::shared_ptr<Http2Connection>> live_;      // accepting or connecting
  std::vector<std::shared_ptr<Http2Connection>> draining_;  // GOAWAY: finishing their streams
  int connect_failures_ = 0;
  std::string last_connect_error_;  // why the last attempt failed, for what waits behind it
  std::chrono::steady_clock::time_point next_connect_{};
  bool dispatching_ = false;
  // Callbacks hold a weak_ptr to this: they may outlive the pool.
  std::shared_ptr<ConnectionPool*> self_;
};

}  // namespace herald::push::apns
