#include "http/server.h"

#include <openssl/ssl.h>

#include <asio/ssl.hpp>
#include <stdexcept>
#include <unordered_map>

#include "base/host_port.h"
#include "base/log.h"

namespace herald::http {

using asio::ip::tcp;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void abort() = 0;
};

struct Server::State {
  State(asio::io_context& io, ServerOptions o, const Router& r)
      : io(io), options(std::move(o)), router(r) {}

  asio::io_context& io;
  ServerOptions options;
  const Router& router;
  std::unique_ptr<asio::ssl::context> tls;
  // Replaced by reloads, kept: a handshake under way may still use one.
  std::vector<std::unique_ptr<asio::ssl::context>> retired_tls;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  bool stopped = false;
};

namespace {

constexpr size_t kReadChunk = 16 * 1024;

// One connection. Stream is tcp::socket or asio::ssl::stream<tcp::socket>.
template <typename Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

  Session(std::shared_ptr<Server::State> state, Stream stream, std::string remote, bool over_limit)
      : state_(std::move(state)),
        stream_(std::move(stream)),
        timer_(state_->io),
        parser_(state_->options.limits),
        remote_(std::move(remote)),
        over_limit_(over_limit) {}

  ~Session() override { state_->sessions.erase(this); }

  void start() {
    state_->sessions[this] = this->weak_from_this();
    if constexpr (kTls) {
      arm_timer(Phase::handshake);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](std::error_code ec) {
                                if (ec) {
                                  log::debug("{}: TLS handshake failed: {}",
                                             self->state_->options.name, ec.message());
                                  return self->abort();
                                }
                                self->read();
                              });
    } else {
      read();
    }
  }

  void abort() override {
    timer_.cancel();
    std::error_code ignored;
    socket().close(ignored);
  }

 private:
  enum class Phase { handshake, reading, handling, writing, closing };

  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void arm_timer(Phase phase) {
    phase_ = phase;
    timer_.expires_after(state_->options.read_timeout);
    timer_.async_wait([weak = this->weak_from_this()](std::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->on_timeout();
    });
  }

  void on_timeout() {
    if (phase_ == Phase::handling) {
      ++handling_;  // the handler's late answer is dropped
      return respond(text_response(503, "no answer in time, try again later"), true);
    }
    if (phase_ == Phase::reading && parser_.has_partial()) {
      // Only the bytes that arrived are at fault; say so before closing.
      return respond(text_response(408, "request not complete in time"), true);
    }
    abort();
  }

  void read() {
    // The deadline runs from the start of a request, not from its latest
    // byte: a client trickling bytes (slowloris) must not hold it open.
    if (phase_ != Phase::reading || !parser_.has_partial()) arm_timer(Phase::reading);
    stream_.async_read_some(asio::buffer(read_buffer_),
                            [self = this->shared_from_this()](std::error_code ec, size_t n) {
                              if (ec) return self->abort();
                              self->parser_.feed(std::string_view(self->read_buffer_.data(), n));
                              self->process();
                            });
  }

  void process() {
    Request request;
    auto status = parser_.next(&request);
    switch (status) {
      case RequestParser::Status::need_more:
        return read();
      case RequestParser::Status::complete: {
        if (over_limit_ || state_->stopped)
          return respond(text_response(503, "too many connections, try again later"), true);
        request.remote_address = remote_;
        // Bounded like a read: an asynchronous handler answers later. The
        // timer holds the session meanwhile (a handler may drop `respond`).
        phase_ = Phase::handling;
        timer_.expires_after(state_->options.read_timeout);
        timer_.async_wait([self = this->shared_from_this()](std::error_code ec) {
          if (!ec) self->on_timeout();
        });
        uint64_t handling = ++handling_;
        bool close = !request.keep_alive;
        // The answer holds the session: nothing else does while it is handled.
        state_->router.handle(request, [self = this->shared_from_this(), handling,
                                        close](Response response) {
          if (self->handling_ != handling || self->phase_ != Phase::handling) return;
          self->respond(response, close);
        });
        return;
      }
      default: {
        int code = status_for(status);
        const char* why = code == 431   ? "request header too large"
                          : code == 413 ? "request body too large"
                                        : "malformed request";
        return respond(text_response(code, why), true);
      }
    }
  }

  void respond(const Response& response, bool close) {
    out_ = serialize(response, close);
    arm_timer(Phase::writing);
    asio::async_write(stream_, asio::buffer(out_),
                      [self = this->shared_from_this(), close](std::error_code ec, size_t) {
                        if (ec) return self->abort();
                        if (close) return self->finish();
                        self->process();  // a pipelined request may be buffered already
                      });
  }

  // Closes gracefully: TLS close_notify, then our write side, then reads
  // until the peer closes (bounded by the timer), so that a client still
  // sending a refused body gets our answer instead of a reset.
  void finish() {
    arm_timer(Phase::closing);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](std::error_code) {
        self->drain();
      });
    } else {
      std::error_code ignored;
      socket().shutdown(tcp::socket::shutdown_send, ignored);
      drain();
    }
  }

  void drain() {
    socket().async_read_some(asio::buffer(read_buffer_),
                             [self = this->shared_from_this()](std::error_code ec, size_t) {
                               if (ec) return self->abort();
                               self->drain();
                             });
  }

  std::shared_ptr<Server::State> state_;
  Stream stream_;
  asio::steady_timer timer_;
  RequestParser parser_;
  std::string remote_;
  bool over_limit_;
  Phase phase_ = Phase::reading;
  uint64_t handling_ = 0;  // which request the pending answer is for
  std::array<char, kReadChunk> read_buffer_;
  std::string out_;
};

// Connections beyond max_connections still get a session (to answer 503), up
// to this many more; past that they are closed at once.
constexpr size_t kOverflowSessions = 64;

void accept_next(const std::shared_ptr<Server::State>& state, tcp::acceptor& acceptor) {
  acceptor.async_accept([state, &acceptor](std::error_code ec, tcp::socket socket) {
    if (state->stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      log::warn("{}: accept failed: {}", state->options.name, ec.message());
    } else {
      std::error_code ep_ec;
      auto remote = socket.remote_endpoint(ep_ec);
      size_t open = state->sessions.size();
      bool over_limit = open >= state->options.max_connections;
      if (ep_ec || open >= state->options.max_connections + kOverflowSessions) {
        std::error_code ignored;
        socket.close(ignored);
      } else {
        if (over_limit) log::debug("{}: connection limit reached", state->options.name);
        std::string address = remote.address().to_string();
        if (state->tls) {
          using TlsStream = asio::ssl::stream<tcp::socket>;
          std::make_shared<Session<TlsStream>>(state, TlsStream(std::move(socket), *state->tls),
                                               std::move(address), over_limit)
              ->start();
        } else {
          std::make_shared<Session<tcp::socket>>(state, std::move(socket), std::move(address),
                                                 over_limit)
              ->start();
        }
      }
    }
    accept_next(state, acceptor);
  });
}

std::unique_ptr<asio::ssl::context> make_tls_context(const ServerOptions& o) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  try {
    ctx->use_certificate_chain_file(o.certificate);
  } catch (const std::exception& e) {
    throw std::runtime_error(o.name + ": certificate " + o.certificate + ": " + e.what());
  }
  try {
    ctx->use_private_key_file(o.key, asio::ssl::context::pem);
  } catch (const std::exception& e) {
    throw std::runtime_error(o.name + ": key " + o.key + ": " + e.what());
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    throw std::runtime_error(o.name + ": key " + o.key + " does not match " + o.certificate);
  return ctx;
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions options, const Router& router)
    : state_(std::make_shared<State>(io, std::move(options), router)) {
  const ServerOptions& o = state_->options;
  if (o.certificate.empty() != o.key.empty())
    throw std::runtime_error(o.name + ": TLS needs both a certificate and a key");
  if (!o.certificate.empty()) state_->tls = make_tls_context(o);
}

void Server::reload_certificate() {
  if (!state_->tls) return;
  auto fresh = make_tls_context(state_->options);  // throws: the current one stays
  state_->retired_tls.push_back(std::move(state_->tls));
  state_->tls = std::move(fresh);
  log::info("{}: certificate reloaded", state_->options.name);
}

Server::~Server() { stop(); }

void Server::start() {
  for (const std::string& text : state_->options.listen) {
    auto host_port = parse_host_port(text);
    if (!host_port) throw std::runtime_error(state_->options.name + ": bad listen address " + text);
    std::error_code ec;
    auto address = asio::ip::make_address(host_port->host, ec);
    if (ec)
      throw std::runtime_error(state_->options.name + ": listen address must be an IP: " + text);
    tcp::endpoint endpoint(address, host_port->port);
    auto acceptor = std::make_unique<tcp::acceptor>(state_->io);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && address.is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error(state_->options.name + ": cannot listen on " + text + ": " +
                               ec.message());
    auto local = acceptor->local_endpoint();
    log::info("{}: listening on {}:{} ({})", state_->options.name, local.address().to_string(),
              local.port(), state_->tls ? "TLS" : "plain HTTP");
    accept_next(state_, *acceptor);
    state_->acceptors.push_back(std::move(acceptor));
  }
}

void Server::stop() {
  if (!state_ || state_->stopped) return;
  state_->stopped = true;
  for (auto& acceptor : state_->acceptors) {
    std::error_code ignored;
    acceptor->close(ignored);
  }
  std::vector<std::shared_ptr<SessionBase>> open;
  for (auto& [raw, weak] : state_->sessions)
    if (auto s = weak.lock()) open.push_back(s);
  for (auto& s : open) s->abort();
}

bool Server::tls() const { return state_->tls != nullptr; }

std::vector<tcp::endpoint> Server::local_endpoints() const {
  std::vector<tcp::endpoint> out;
  for (auto& acceptor : state_->acceptors) {
    std::error_code ec;
    auto ep = acceptor->local_endpoint(ec);
    if (!ec) out.push_back(ep);
  }
  return out;
}

size_t Server::open_connections() const { return state_->sessions.size(); }

}  // namespace herald::http
