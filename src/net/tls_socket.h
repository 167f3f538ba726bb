// A TCP socket that can switch to TLS, with OpenSSL reading and writing the
// socket itself.
//
// Why not asio::ssl::stream: it keeps two 17 KiB buffers and a 2 x 17 KiB
// BIO pair per connection for the connection's whole life (~85 KiB of heap
// per idle connection, measured). Here OpenSSL works on the file descriptor,
// and with SSL_MODE_RELEASE_BUFFERS its record buffers exist only while a
// record is in transit: an idle connection holds the SSL object (~16 KiB).
//
// Contract: the same surface as the part of asio::ssl::stream the s2s code
// uses. Before the handshake, read and write next_layer() in plain text. At
// most one read and one write (or one handshake) in flight. Handlers are
// never called from inside the initiating call, and run on the io_context.
// The owner keeps the socket alive until its handlers ran (the s2s
// connection's handlers hold a shared_ptr to it). Single-threaded. The first
// TlsSocket makes the process ignore SIGPIPE (OpenSSL writes with write(2)).
#pragma once

#include <openssl/ssl.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstddef>
#include <functional>

namespace herald::net {

class TlsSocket {
 public:
  using lowest_layer_type = asio::ip::tcp::socket;
  using HandshakeHandler = std::function<void(const asio::error_code&)>;
  using IoHandler = std::function<void(const asio::error_code&, std::size_t)>;

  TlsSocket(asio::io_context& io, asio::ssl::context& context);
  ~TlsSocket();
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  asio::ip::tcp::socket& lowest_layer() { return socket_; }
  asio::ip::tcp::socket& next_layer() { return socket_; }
  SSL* native_handle() { return ssl_; }

  void async_handshake(asio::ssl::stream_base::handshake_type type, HandshakeHandler done);
  // Up to buffer.size() bytes of plain text; eof when the peer sent
  // close_notify, ssl::error::stream_truncated when it closed without one.
  void async_read_some(asio::mutable_buffer buffer, IoHandler done);
  // All of `bytes` (the caller keeps them alive until `done`).
  void async_write(asio::const_buffer bytes, IoHandler done);

 private:
  // One step of an operation: runs `attempt` (an SSL_* call) and either
  // completes or waits for the socket as OpenSSL asks, then tries again.
  // `finish` is posted from the initiating call, and called directly once
  // the step already runs in a handler (after a wait).
  void step(std::function<int()> attempt, std::function<void(const asio::error_code&)> finish,
            bool in_handler = false);
  void write_from(asio::const_buffer bytes, std::size_t done_bytes, IoHandler done);

  asio::io_context& io_;
  asio::ip::tcp::socket socket_;
  SSL* ssl_;
  bool fd_attached_ = false;
  std::size_t read_bytes_ = 0;     // of the read in flight
  std::size_t written_bytes_ = 0;  // of the write in flight
};

}  // namespace herald::net
