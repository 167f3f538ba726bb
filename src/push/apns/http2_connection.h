// One HTTP/2 client connection over TLS (ALPN h2), driven by nghttp2.
//
// Contract: created and used on one io_context thread; no locks. submit()
// may be called before the connection is up: requests wait in a queue and
// are started as stream slots free up. The server's MAX_CONCURRENT_STREAMS is
// honoured, but it is taken as 1 until the first response arrives (APNs with
// token auth accepts one stream until it has checked the first token). Every
// request's callback runs exactly once, posted to the io_context, with:
//   response      - a response arrived (any HTTP status);
//   not_processed - the server provably did not process it: never written,
//                   REFUSED_STREAM, or a stream above GOAWAY's last-stream-id;
//                   the caller may resend it on another connection;
//   unknown       - it was written and then the stream or connection failed or
//                   the request timed out; the caller must not resend.
// After GOAWAY or a failure the connection stops accepting (accepting() is
// false); the owner opens a new one. With ping_interval set, a connection on
// which nothing arrived for that long sends a PING and closes itself when the
// next interval passes without any answer. free_slots() and the capacity
// handler let an owner keep requests in its own queue and hand them over only
// when a stream can start at once. The owner must call close() when it drops
// the connection: pending asynchronous operations keep it alive until then.
#pragma once

#include <nghttp2/nghttp2.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/post_once.h"

namespace herald::push::apns {

struct Http2Options {
  std::string host;  // for DNS, SNI, certificate check and :authority
  uint16_t port = 443;
  std::chrono::milliseconds connect_timeout{10000};  // TCP + TLS handshake
  std::chrono::milliseconds request_timeout{10000};  // from submit() to response
  std::chrono::milliseconds ping_interval{0};        // 0: no pings
};

struct Http2Request {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase names
  std::string body;
  // Names of headers (":path" included) whose value differs on every request
  // (a device token, a request id). HPACK sends them without indexing: in the
  // 4 KiB dynamic table they would only evict the values that do repeat, such
  // as the provider token.
  std::vector<std::string_view> unique_headers;
};

// The header list nghttp2 gets for `r` (views into `r` and `authority`).
std::vector<nghttp2_nv> request_header_list(const Http2Request& r, const std::string& authority);

struct Http2Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // First value of a header, or empty.
  std::string header(std::string_view name) const;
};

enum class Http2Outcome { response, not_processed, unknown };
const char* to_string(Http2Outcome outcome);

struct Http2Result {
  Http2Outcome outcome = Http2Outcome::unknown;
  Http2Response response;
  std::string error;  // short local cause when no response arrived
};

// A TLS client certificate (APNs certificate-based provider auth): either a
// PEM certificate chain plus PEM key, or one PKCS#12 file (.p12, as Keychain
// exports it) with an optional password. All empty: no client certificate.
struct TlsClientIdentity {
  std::string certificate_file;
  std::string key_file;  // empty: the key is in certificate_file
  std::string pkcs12_file;
  std::string pkcs12_password;
  bool empty() const { return certificate_file.empty() && pkcs12_file.empty(); }
};

// A TLS client context for HTTP/2: TLS 1.2+, ALPN h2, peer verification from
// the system's default paths plus `extra_ca_file` if non-empty, and the
// client certificate if given. Throws std::runtime_error if a file cannot be
// loaded or the key does not match the certificate.
std::shared_ptr<asio::ssl::context> make_http2_tls_context(
    const std::string& extra_ca_file, const TlsClientIdentity& identity = {});

class Http2Connection : public std::enable_shared_from_this<Http2Connection> {
 public:
  using Callback = std::function<void(Http2Result)>;
  // Called once when the connection ends; `was_connected`: the TLS handshake
  // had completed, so the failure was not a connect failure.
  using ClosedHandler = std::function<void(bool was_connected, const std::string& why)>;
  // Called (not posted) when streams may have freed up or the limit changed.
  using CapacityHandler = std::function<void()>;

  static std::shared_ptr<Http2Connection> create(asio::io_context& io,
                                                 std::shared_ptr<asio::ssl::context> tls,
                                                 Http2Options options);
  ~Http2Connection();

  void set_closed_handler(ClosedHandler handler) { on_closed_ = std::move(handler); }
  void set_capacity_handler(CapacityHandler handler) { on_capacity_ = std::move(handler); }
  void start();  // resolve, connect, handshake
  void submit(Http2Request request, Callback done);
  // Fails every outstanding request (not_processed if never written, else
  // unknown) and closes the socket. Idempotent.
  void close(const std::string& why = "closed");

  bool accepting() const { return !closed_ && !goaway_; }
  bool connected() const { return connected_ && !closed_; }
  size_t outstanding() const { return queue_.size() + streams_.size(); }
  // Requests submit() would start as streams right now (0 until connected).
  size_t free_slots() const;
  uint64_t pings_answered() const { return pings_answered_; }
  const Http2Options& options() const { return options_; }

 private:
  struct Pending;
  class Callbacks;  // nghttp2 C callbacks, friends of this class

  Http2Connection(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                  Http2Options options);
  void on_connected();
  void do_read();
  void do_write();
  void pump();  // moves queued requests into free stream slots
  bool start_stream(const std::shared_ptr<Pending>& p);
  size_t stream_limit() const;
  void finish(Pending& p, Http2Result result);
  void on_request_timeout(const std::shared_ptr<Pending>& p);
  Http2Outcome failure_outcome(const Pending& p) const;
  void schedule_ping();
  void notify_capacity();

  asio::io_context& io_;
  std::shared_ptr<asio::ssl::context> tls_;
  Http2Options options_;
  asio::ip::tcp::resolver resolver_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  asio::steady_timer connect_timer_;
  nghttp2_session* session_ = nullptr;
  std::string authority_;  // ":authority", built on first use
  ClosedHandler on_closed_;
  CapacityHandler on_capacity_;
  asio::steady_timer ping_timer_;
  std::chrono::steady_clock::time_point last_read_{};
  bool ping_outstanding_ = false;
  uint64_t pings_answered_ = 0;

  bool started_ = false;
  bool connected_ = false;
  bool closed_ = false;
  bool goaway_ = false;
  int32_t goaway_last_stream_id_ = 0;
  bool first_response_seen_ = false;
  bool writing_ = false;
  net::PostOnce write_later_;

  std::deque<std::shared_ptr<Pending>> queue_;           // not yet given to nghttp2
  std::map<int32_t, std::shared_ptr<Pending>> streams_;  // by stream id
  std::vector<uint8_t> read_buf_;
  std::string write_buf_;
};

}  // namespace herald::push::apns
