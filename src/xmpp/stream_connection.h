// One TCP connection carrying an XMPP stream, upgradable to TLS: the part
// that client streams and inbound and outbound s2s streams share.
//
// Contract: owns the socket, the XML stream parser, the write buffer and the
// idle timer. Writes never block and are batched (written when the current
// handler returns, one async_write in flight, later writes appended to a
// pending buffer). Subclasses get parser events
// and decide the protocol; they restart the stream by calling
// parser().reset() from a callback, and defer work that must not overlap the
// read loop (TLS handshakes) with after_chunk(). Single-threaded; every async
// operation holds a shared_ptr to the connection. on_disconnected() runs
// exactly once, when the socket is closed for whatever reason. The stream's
// kind gives its default namespace (how stanzas are written) and the tag of
// its log lines.
#pragma once

#include <array>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/post_once.h"
#include "net/tls_socket.h"
#include "xml/element.h"
#include "xml/stream_parser.h"
#include "xmpp/stream_management.h"

namespace herald::xmpp {

struct StreamKind {
  std::string_view default_ns;  // "jabber:client", "jabber:server"
  std::string_view log_tag;     // "c2s", "s2s"
};
inline constexpr StreamKind kClientStream{"jabber:client", "c2s"};
inline constexpr StreamKind kServerStream{"jabber:server", "s2s"};

class StreamConnection : public std::enable_shared_from_this<StreamConnection>,
                      protected xml::StreamParser::Handler {
 public:
  using Socket = net::TlsSocket;

  ~StreamConnection() override;

  // Sends </stream:stream> after what is queued, then closes the socket once
  // the peer closes too (or after a short grace period).
  void close_stream();
  // Sends a stream error and closes the stream (`app_specific`: an optional
  // application-specific condition element, serialised).
  void fail(std::string_view condition, std::string_view text = {},
            std::string_view app_specific = {});
  // Closes the socket at once.
  void abort();
  bool closed() const { return closed_; }
  // Closed, or </stream:stream> sent: nothing more can be written.
  bool closing() const { return closing_ || closed_; }
  bool tls_active() const { return tls_; }

 protected:
  StreamConnection(StreamKind kind, asio::io_context& io, asio::ssl::context& tls,
                   xml::StreamLimits limits, std::chrono::milliseconds idle_timeout);

  Socket& socket() { return socket_; }
  asio::io_context& io() { return io_; }
  xml::StreamParser& parser() { return parser_; }

  // Starts the read loop and the idle timer.
  void start_reading();
  void write(std::string_view bytes);
  void write(const xml::Element& element);
  void mark_header_sent() { header_sent_ = true; }
  // Stanzas queued behind a write the peer has not taken yet (a peer that
  // stops reading); beyond `n` the stream ends with resource-constraint.
  // 0: no limit.
  void set_max_pending_stanzas(size_t n) { max_pending_stanzas_ = n; }

  // From a parser callback: once the current chunk is done and every queued
  // byte is written, run `action` instead of reading on. The action calls
  // resume_reading() when it is done (e.g. after a TLS handshake).
  void after_chunk(std::function<void()> action);
  void resume_reading();

  // XEP-0198: writes an <r/> once the current handler returns, if `sm`
  // says one is due (one per burst). `sm` must be a member of this object.
  void request_ack_soon(StreamManagement& sm);

  // TLS handshake on the connected socket. On failure the connection is
  // aborted and `done` is not called.
  void tls_handshake(asio::ssl::stream_base::handshake_type type, std::function<void()> done);
  void reset_idle_timer();

  virtual void on_disconnected() = 0;
  // Each chunk of bytes read (plain text after TLS), before it is parsed;
  // a stream error sent from here drops the chunk.
  virtual void on_bytes_read(std::size_t) {}
  // What to call this connection in logs (a domain, never a JID).
  virtual std::string log_name() const = 0;

 private:
  void read_more();
  void on_read(std::size_t n);
  void pump();
  void finish_close();
  void arm_idle_timer();

  StreamKind kind_;
  asio::io_context& io_;
  Socket socket_;
  xml::StreamParser parser_;
  std::chrono::milliseconds idle_timeout_;
  asio::steady_timer idle_timer_;
  asio::steady_timer linger_timer_;
  // Reads go into the small inline buffer while traffic is light; a read
  // that fills it switches to a heap buffer of kLargeRead, kept while reads
  // return more than the small one holds. An idle connection (always one
  // read pending) thus holds 1 KiB instead of 16 KiB.
  static constexpr size_t kSmallRead = 1024;
  static constexpr size_t kLargeRead = 16 * 1024;
  std::array<char, kSmallRead> small_read_;
  std::unique_ptr<char[]> large_read_;
  std::string pending_;
  std::string in_flight_;
  size_t pending_stanzas_ = 0;
  size_t in_flight_stanzas_ = 0;
  size_t max_pending_stanzas_ = 0;
  std::vector<std::function<void()>> flush_waiters_;
  std::function<void()> after_chunk_;
  bool tls_ = false;
  bool reading_ = false;
  bool writing_ = false;
  net::PostOnce pump_later_;
  bool handshaking_ = false;
  bool in_feed_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool header_sent_ = false;
  bool idle_armed_ = false;
};

}  // namespace herald::xmpp
