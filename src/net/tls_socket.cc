#include "net/tls_socket.h"

#include <openssl/err.h>

#include <cerrno>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace herald::net {

namespace {

// What asio::ssl::stream would report for the same failure, so callers and
// logs see the same codes: eof on close_notify, stream_truncated on a close
// without one, else OpenSSL's error in asio's ssl category.
asio::error_code error_of(int ssl_error) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  if (ssl_error == SSL_ERROR_SYSCALL && errno != 0)
    return asio::error_code(errno, asio::error::get_system_category());
  unsigned long e = ERR_get_error();
  if (e == 0 || ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return asio::ssl::error::stream_truncated;
  return asio::error_code(static_cast<int>(e), asio::error::get_ssl_category());
}

}  // namespace

TlsSocket::TlsSocket(asio::io_context& io, asio::ssl::context& context)
    : io_(io), socket_(io), ssl_(SSL_new(context.native_handle())) {
  if (ssl_ == nullptr) throw std::runtime_error("SSL_new failed");
  // OpenSSL's socket BIO uses write(2), not send(MSG_NOSIGNAL) as Asio does:
  // writing to a connection the peer reset would kill the process.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
}

TlsSocket::~TlsSocket() {
  SSL_free(ssl_);  // the socket BIO does not own the descriptor
}

void TlsSocket::async_handshake(asio::ssl::stream_base::handshake_type type,
                                HandshakeHandler done) {
  if (!fd_attached_) {
    asio::error_code ec;
    socket_.non_blocking(true, ec);
    if (ec || SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle())) != 1) {
      if (!ec) ec = asio::error::bad_descriptor;
      asio::post(io_, [done = std::move(done), ec] { done(ec); });
      return;
    }
    fd_attached_ = true;
  }
  if (type == asio::ssl::stream_base::client)
    SSL_set_connect_state(ssl_);
  else
    SSL_set_accept_state(ssl_);
  step([this] { return SSL_do_handshake(ssl_); }, std::move(done));
}

void TlsSocket::async_read_some(asio::mutable_buffer buffer, IoHandler done) {
  step([this, buffer] { return SSL_read_ex(ssl_, buffer.data(), buffer.size(), &read_bytes_); },
       [this, done = std::move(done)](const asio::error_code& ec) {
         done(ec, ec ? 0 : read_bytes_);
       });
}

void TlsSocket::async_write(asio::const_buffer bytes, IoHandler done) {
  write_from(bytes, 0, std::move(done));
}

void TlsSocket::write_from(asio::const_buffer bytes, std::size_t done_bytes, IoHandler done) {
  auto rest = bytes + done_bytes;
  step([this, rest] { return SSL_write_ex(ssl_, rest.data(), rest.size(), &written_bytes_); },
       [this, bytes, done_bytes, done = std::move(done)](const asio::error_code& ec) mutable {
         if (ec) return done(ec, done_bytes);
         std::size_t total = done_bytes + written_bytes_;
         if (total < bytes.size()) return write_from(bytes, total, std::move(done));
         done({}, total);
       });
}

void TlsSocket::step(std::function<int()> attempt,
                     std::function<void(const asio::error_code&)> finish, bool in_handler) {
  // SSL_get_error needs an empty error queue; clearing one that is already
  // empty costs ~800 instructions, several times per push.
  if (ERR_peek_error() != 0) ERR_clear_error();
  errno = 0;
  int rc = attempt();
  if (rc == 1) {
    // Only a first attempt runs inside the caller's initiating call.
    if (in_handler) return finish({});
    asio::post(io_, [finish = std::move(finish)] { finish({}); });
    return;
  }
  int error = SSL_get_error(ssl_, rc);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    auto wait = error == SSL_ERROR_WANT_READ ? asio::ip::tcp::socket::wait_read
                                             : asio::ip::tcp::socket::wait_write;
    socket_.async_wait(wait, [this, attempt = std::move(attempt), finish = std::move(finish)](
                                 const asio::error_code& ec) mutable {
      if (ec) return finish(ec);  // closed meanwhile: `this` may be gone after finish
      step(std::move(attempt), std::move(finish), /*in_handler=*/true);
    });
    return;
  }
  asio::error_code ec = error_of(error);
  if (in_handler) return finish(ec);
  asio::post(io_, [finish = std::move(finish), ec] { finish(ec); });
}

}  // namespace herald::net
