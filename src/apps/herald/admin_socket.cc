#include "apps/herald/admin_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/log.h"

namespace herald::app {

namespace {

using Local = asio::local::stream_protocol;
constexpr size_t kMaxRequest = 1024;
constexpr std::chrono::seconds kTimeout{5};

bool fits(const std::string& path) {
  return path.size() < sizeof(sockaddr_un{}.sun_path);
}

// A blocking client socket connected to `path`, or -1 with errno set.
int connect_to(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{kTimeout.count(), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace

std::string admin_socket_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "herald.sock").string();
}

struct AdminSocket::State : std::enable_shared_from_this<AdminSocket::State> {
  State(asio::io_context& io, std::string path, std::map<std::string, Handler> commands)
      : io(io), path(std::move(path)), commands(std::move(commands)), acceptor(io) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](std::error_code ec, Local::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) self->serve(std::move(socket));
      self->accept();
    });
  }

  // One request: the owner (or root) only, one line, one answer.
  void serve(Local::socket socket) {
    ucred peer{};
    socklen_t len = sizeof peer;
    if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 ||
        (peer.uid != ::geteuid() && peer.uid != 0)) {
      log::warn("admin socket: refused a connection from another user (uid {})", peer.uid);
      return;
    }
    auto conn = std::make_shared<Connection>(std::move(socket), io);
    conn->timer.expires_after(kTimeout);
    conn->timer.async_wait([conn](std::error_code ec) {
      if (!ec) conn->socket.close();
    });
    asio::async_read_until(
        conn->socket, asio::dynamic_buffer(conn->in, kMaxRequest), '\n',
        [self = shared_from_this(), conn](std::error_code ec, size_t n) {
          if (ec) {
            conn->timer.cancel();
            return;
          }
          std::string line = conn->in.substr(0, n - 1);
          conn->out = self->dispatch(line) + "\n";
          asio::async_write(conn->socket, asio::buffer(conn->out),
                            [conn](std::error_code, size_t) { conn->timer.cancel(); });
        });
  }

  std::string dispatch(std::string_view line) {
    auto space = line.find(' ');
    std::string command(line.substr(0, space));
    std::string_view argument = space == std::string_view::npos ? "" : line.substr(space + 1);
    auto it = commands.find(command);
    if (it == commands.end()) return "error unknown command";
    return it->second(argument);
  }

  struct Connection {
    Connection(Local::socket s, asio::io_context& io) : socket(std::move(s)), timer(io) {}
    Local::socket socket;
    asio::steady_timer timer;
    std::string in, out;
  };

  asio::io_context& io;
  std::string path;
  std::map<std::string, Handler> commands;
  Local::acceptor acceptor;
  bool bound = false;
};

AdminSocket::AdminSocket(asio::io_context& io, std::string path,
                         std::map<std::string, Handler> commands)
    : state_(std::make_shared<State>(io, std::move(path), std::move(commands))) {}

AdminSocket::~AdminSocket() { stop(); }

void AdminSocket::start() {
  State& s = *state_;
  if (!fits(s.path)) {
    log::warn("admin socket: the path {} is too long for a Unix socket; commands reach a running "
              "Herald only after a restart",
              s.path);
    return;
  }
  if (int fd = connect_to(s.path); fd >= 0) {
    ::close(fd);
    log::warn("admin socket: another process answers on {}; not serving it", s.path);
    return;
  }
  ::unlink(s.path.c_str());  // a socket a killed process left
  // Created owner-only: the umask applies when the file is made.
  mode_t old = ::umask(0177);
  std::error_code ec;
  s.acceptor.open(Local(), ec);
  if (!ec) s.acceptor.bind(Local::endpoint(s.path), ec);
  ::umask(old);
  if (!ec) ::chmod(s.path.c_str(), 0600);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    log::warn("admin socket: cannot listen on {}: {}", s.path, ec.message());
    s.acceptor.close(ec);
    return;
  }
  s.bound = true;
  s.accept();
}

void AdminSocket::stop() {
  State& s = *state_;
  std::error_code ec;
  s.acceptor.close(ec);
  if (s.bound) ::unlink(s.path.c_str());
  s.bound = false;
}

Result<std::optional<std::string>> admin_request(const std::string& path, const std::string& line) {
  if (!fits(path)) return std::optional<std::string>();
  int fd = connect_to(path);
  if (fd < 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return std::optional<std::string>();
    return Unavailable(std::string("cannot connect to the admin socket: ") + std::strerror(errno));
  }
  std::string out = line + "\n";
  bool sent = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL) == ssize_t(out.size());
  std::string in;
  char buf[512];
  while (sent && in.find('\n') == std::string::npos && in.size() < kMaxRequest) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, size_t(n));
  }
  ::close(fd);
  auto nl = in.find('\n');
  if (!sent || nl == std::string::npos)
    return Timeout("the running Herald did not answer on its admin socket");
  return std::optional<std::string>(in.substr(0, nl));
}

}  // namespace herald::app
