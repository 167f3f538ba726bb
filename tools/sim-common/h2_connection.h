// One client connection of a simulator: TLS (already accepted), then an
// nghttp2 server session. Every complete request goes to the connection's
// ConnectionHandler, which answers through a Reply callback exactly once,
// at once or later (a slow upstream); the answer is an HTTP response or a
// transport fault. Output nghttp2 produces while handling one read is
// gathered into one TLS write. Single-threaded: all handlers and replies run
// on the server's io_context.
#pragma once

#include <nghttp2/nghttp2.h>

#include <array>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace herald::sim {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Bodies beyond this are counted but not kept: a client cannot make a
// simulator hold unbounded memory.
inline constexpr size_t kMaxStoredBody = 64 * 1024;

// The peer's client certificate, when the server asked for one and the
// chain verified against the client CA. Subject entries by OpenSSL short
// name ("CN", "UID", "O", ...), in order.
struct ClientCertificate {
  bool present = false;
  Headers subject;
  std::string first(std::string_view name) const;  // "" when absent
};

struct H2Request {
  std::string method;  // from :method
  std::string path;    // from :path
  std::string authority;
  // Regular (non-pseudo) headers in arrival order; HTTP/2 names are lowercase.
  Headers headers;
  std::string body;      // at most kMaxStoredBody bytes
  size_t body_size = 0;  // the body's full size
  uint64_t connection_id = 0;
  int32_t stream_id = 0;
  // Request streams open on the connection when this one completed,
  // including it; lets a simulator check SETTINGS_MAX_CONCURRENT_STREAMS.
  size_t open_streams = 0;
  // The SETTINGS_MAX_CONCURRENT_STREAMS value last sent to the client.
  uint32_t announced_concurrent_streams = 0;
  const ClientCertificate* client_certificate = nullptr;  // never null in handlers
};

enum class H2Fault {
  kNone,
  kResetStream,   // RST_STREAM INTERNAL_ERROR: outcome unknown to the client
  kRefuseStream,  // RST_STREAM REFUSED_STREAM: provably not processed
  kGoaway,        // GOAWAY with last-stream-id below this stream, then close
};

struct H2Response {
  int status = 200;
  Headers headers;  // content-type etc.; no pseudo headers
  std::string body;
  H2Fault fault = H2Fault::kNone;  // instead of the response when not kNone
  // After this response: GOAWAY (NO_ERROR, last-stream-id = the highest
  // stream received so far), finish open streams, then close.
  bool goaway_after = false;
  // After this response: announce SETTINGS_MAX_CONCURRENT_STREAMS = value.
  std::optional<uint32_t> raise_concurrent_streams;
};

using Reply = std::function<void(H2Response)>;

// Made once per connection (see H2Server), so it may keep per-connection
// state (e.g. the accepted provider token).
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Must call `reply` exactly once, possibly later on the same io_context;
  // a late reply to a stream or connection that has gone is dropped.
  virtual void on_request(const H2Request& request, Reply reply) = 0;
};

struct ConnectionOptions {
  // SETTINGS_MAX_CONCURRENT_STREAMS sent first (APNs with token auth: 1);
  // a handler raises it with H2Response::raise_concurrent_streams.
  uint32_t initial_concurrent_streams = 1000;
  std::string log_name = "sim";  // prefix of debug log lines
};

class H2Connection : public std::enable_shared_from_this<H2Connection> {
 public:
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

  H2Connection(TlsStream stream, uint64_t id, const ConnectionOptions& options,
               std::unique_ptr<ConnectionHandler> handler,
               std::function<void(uint64_t)> on_closed);
  ~H2Connection();
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  void start();  // TLS handshake, then HTTP/2
  void close();
  uint64_t id() const { return id_; }

 private:
  friend struct H2Callbacks;
  struct Stream {
    H2Request request;
    bool answered = false;
    std::string response_body;
    size_t body_sent = 0;
  };

  bool start_session();
  void read();
  void flush();
  void handle_request(int32_t stream_id, Stream& stream);
  void respond(int32_t stream_id, H2Response response);
  void read_client_certificate();

  TlsStream stream_;
  uint64_t id_;
  ConnectionOptions options_;
  std::unique_ptr<ConnectionHandler> handler_;
  std::function<void(uint64_t)> on_closed_;
  ClientCertificate client_certificate_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  std::array<uint8_t, 16 * 1024> read_buffer_;
  std::string write_buffer_;
  uint32_t announced_streams_ = 0;
  size_t open_streams_ = 0;
  bool writing_ = false;
  bool in_receive_ = false;  // inside nghttp2_session_mem_recv: no mem_send
  bool closed_ = false;
  bool close_after_flush_ = false;
};

}  // namespace herald::sim
