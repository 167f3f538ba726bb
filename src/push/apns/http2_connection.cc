#include "push/apns/http2_connection.h"

#include <nghttp2/nghttp2.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "base/log.h"

namespace herald::push::apns {
namespace {

constexpr size_t kReadBufferSize = 16 * 1024;
constexpr size_t kWriteBatchLimit = 64 * 1024;
constexpr size_t kMaxResponseBody = 64 * 1024;  // APNs bodies are tiny; cap a misbehaving peer
constexpr size_t kLocalStreamCap = 1000;

nghttp2_nv make_nv(std::string_view name, const std::string& value, bool unique) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(),
                    static_cast<uint8_t>(unique ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE)};
}

}  // namespace

std::vector<nghttp2_nv> request_header_list(const Http2Request& r, const std::string& authority) {
  static const std::string kHttps = "https";
  auto unique = [&](std::string_view name) {
    return std::find(r.unique_headers.begin(), r.unique_headers.end(), name) !=
           r.unique_headers.end();
  };
  std::vector<nghttp2_nv> nva;
  nva.reserve(4 + r.headers.size());
  nva.push_back(make_nv(":method", r.method, false));
  nva.push_back(make_nv(":scheme", kHttps, false));
  nva.push_back(make_nv(":authority", authority, false));
  nva.push_back(make_nv(":path", r.path, unique(":path")));
  for (const auto& [name, value] : r.headers) nva.push_back(make_nv(name, value, unique(name)));
  return nva;
}

std::string Http2Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

const char* to_string(Http2Outcome outcome) {
  switch (outcome) {
    case Http2Outcome::response:
      return "response";
    case Http2Outcome::not_processed:
      return "not-processed";
    case Http2Outcome::unknown:
      return "unknown";
  }
  return "unknown";
}

namespace {

void load_pkcs12(SSL_CTX* ctx, const TlsClientIdentity& id) {
  FILE* f = fopen(id.pkcs12_file.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("TLS: cannot open PKCS#12 file " + id.pkcs12_file);
  PKCS12* p12 = d2i_PKCS12_fp(f, nullptr);
  fclose(f);
  if (p12 == nullptr) throw std::runtime_error("TLS: not a PKCS#12 file: " + id.pkcs12_file);
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* chain = nullptr;
  int ok = PKCS12_parse(p12, id.pkcs12_password.c_str(), &key, &cert, &chain);
  PKCS12_free(p12);
  bool used = ok == 1 && key != nullptr && cert != nullptr &&
              SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  for (int i = 0; used && chain != nullptr && i < sk_X509_num(chain); ++i) {
    // add1: the context takes its own reference, the stack keeps ours.
    used = SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)) == 1;
  }
  EVP_PKEY_free(key);
  X509_free(cert);
  sk_X509_pop_free(chain, X509_free);
  if (!used) {
    throw std::runtime_error("TLS: cannot use PKCS#12 file " + id.pkcs12_file +
                             " (wrong password, or no certificate and key in it)");
  }
}

void load_identity(asio::ssl::context& ctx, const TlsClientIdentity& id) {
  if (id.empty()) return;
  if (!id.pkcs12_file.empty()) {
    load_pkcs12(ctx.native_handle(), id);
  } else {
    asio::error_code ec;
    ctx.use_certificate_chain_file(id.certificate_file, ec);
    if (ec) {
      throw std::runtime_error("TLS: cannot load client certificate " + id.certificate_file +
                               ": " + ec.message());
    }
    const std::string& key = id.key_file.empty() ? id.certificate_file : id.key_file;
    ctx.use_private_key_file(key, asio::ssl::context::pem, ec);
    if (ec) throw std::runtime_error("TLS: cannot load client key " + key + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    throw std::runtime_error("TLS: the client key does not match the client certificate");
  }
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_http2_tls_context(const std::string& extra_ca_file,
                                                           const TlsClientIdentity& identity) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(asio::ssl::verify_peer);
  asio::error_code ec;
  // The system CAs as a hashed directory, read when a chain needs one:
  // parsing the whole bundle up front was most of Herald's start-up.
  const char* ca_dir = getenv(X509_get_default_cert_dir_env());
  ctx->add_verify_path(ca_dir ? ca_dir : X509_get_default_cert_dir(), ec);
  if (ec) throw std::runtime_error("TLS: cannot load the system CA paths: " + ec.message());
  if (!extra_ca_file.empty()) {
    ctx->load_verify_file(extra_ca_file, ec);
    if (ec)
      throw std::runtime_error("TLS: cannot load CA file " + extra_ca_file + ": " + ec.message());
  }
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  if (SSL_CTX_set_alpn_protos(ctx->native_handle(), kAlpn, sizeof(kAlpn)) != 0) {
    throw std::runtime_error("TLS: cannot set ALPN h2");
  }
  load_identity(*ctx, identity);
  return ctx;
}

struct Http2Connection::Pending {
  Pending(asio::io_context& io, Http2Request r, Callback cb)
      : request(std::move(r)), done(std::move(cb)), timer(io) {}
  Http2Request request;
  Callback done;  // empty once finished
  asio::steady_timer timer;
  int32_t stream_id = -1;
  bool headers_sent = false;  // HEADERS serialised for the socket: the server may act on it
  size_t body_offset = 0;
  Http2Response response;
};

// nghttp2 calls back through plain functions with `this` as user data.
class Http2Connection::Callbacks {
 public:
  static Pending* pending(nghttp2_session* session, int32_t stream_id) {
    return static_cast<Pending*>(nghttp2_session_get_stream_user_data(session, stream_id));
  }

  static int on_header(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t /*flags*/,
                       void* /*user_data*/) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Pending* p = pending(session, frame->hd.stream_id);
    if (p == nullptr) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      int status = 0;
      for (char c : v) status = (c >= '0' && c <= '9') ? status * 10 + (c - '0') : status;
      if (status >= 200) {
        p->response.status = status;
        p->response.headers.clear();  // drop headers of any 1xx response
      }
    } else if (!n.empty() && n[0] != ':') {
      p->response.headers.emplace_back(n, v);
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, uint8_t /*flags*/, int32_t stream_id,
                           const uint8_t* data, size_t len, void* /*user_data*/) {
    Pending* p = pending(session, stream_id);
    if (p == nullptr) return 0;
    size_t room = kMaxResponseBody - std::min(kMaxResponseBody, p->response.body.size());
    p->response.body.append(reinterpret_cast<const char*>(data), std::min(len, room));
    return 0;
  }

  static int on_frame_recv(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                           void* user_data) {
    auto* self = static_cast<Http2Connection*>(user_data);
    if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) {
      if (self->ping_outstanding_) ++self->pings_answered_;
      self->ping_outstanding_ = false;
    } else if (frame->hd.type == NGHTTP2_GOAWAY) {
      self->goaway_ = true;
      self->goaway_last_stream_id_ = frame->goaway.last_stream_id;
      log::info("http2 {}: GOAWAY error={} last-stream={}", self->options_.host,
                nghttp2_http2_strerror(frame->goaway.error_code), frame->goaway.last_stream_id);
    } else if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_RESPONSE) {
      self->first_response_seen_ = true;
    }
    return 0;
  }

  static int on_frame_send(nghttp2_session* session, const nghttp2_frame* frame,
                           void* /*user_data*/) {
    if (frame->hd.type == NGHTTP2_HEADERS) {
      if (Pending* p = pending(session, frame->hd.stream_id)) p->headers_sent = true;
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session* /*session*/, int32_t stream_id, uint32_t error_code,
                             void* user_data) {
    auto* self = static_cast<Http2Connection*>(user_data);
    auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) return 0;
    std::shared_ptr<Pending> p = std::move(it->second);
    self->streams_.erase(it);
    Http2Result result;
    if (p->response.status != 0) {
      result.outcome = Http2Outcome::response;
      result.response = std::move(p->response);
    } else if (error_code == NGHTTP2_REFUSED_STREAM) {
      result.outcome = Http2Outcome::not_processed;
      result.error = "stream refused";
    } else {
      result.outcome = self->failure_outcome(*p);
      result.error = std::string("stream closed: ") + nghttp2_http2_strerror(error_code);
    }
    self->finish(*p, std::move(result));
    return 0;
  }

  static ssize_t read_body(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                           uint32_t* data_flags, nghttp2_data_source* /*source*/,
                           void* /*user_data*/) {
    Pending* p = pending(session, stream_id);
    if (p == nullptr) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    const std::string& body = p->request.body;
    size_t n = std::min(length, body.size() - p->body_offset);
    std::memcpy(buf, body.data() + p->body_offset, n);
    p->body_offset += n;
    if (p->body_offset == body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

std::shared_ptr<Http2Connection> Http2Connection::create(asio::io_context& io,
                                                         std::shared_ptr<asio::ssl::context> tls,
                                                         Http2Options options) {
  return std::shared_ptr<Http2Connection>(
      new Http2Connection(io, std::move(tls), std::move(options)));
}

Http2Connection::Http2Connection(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                                 Http2Options options)
    : io_(io),
      tls_(std::move(tls)),
      options_(std::move(options)),
      resolver_(io),
      stream_(io, *tls_),
      connect_timer_(io),
      ping_timer_(io),
      read_buf_(kReadBufferSize) {}

Http2Connection::~Http2Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

void Http2Connection::start() {
  if (started_ || closed_) return;
  started_ = true;
  std::weak_ptr<Http2Connection> weak = shared_from_this();
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([weak](const asio::error_code& ec) {
    auto self = weak.lock();
    if (!ec && self && !self->connected_) self->close("connect timeout");
  });

  auto self = shared_from_this();
  resolver_.async_resolve(
      options_.host, std::to_string(options_.port),
      [self](const asio::error_code& ec, asio::ip::tcp::resolver::results_type results) {
        if (self->closed_) return;
        if (ec) return self->close("resolve failed: " + ec.message());
        asio::async_connect(
            self->stream_.lowest_layer(), results,
            [self](const asio::error_code& ec, const asio::ip::tcp::endpoint&) {
              if (self->closed_) return;
              if (ec) return self->close("connect failed: " + ec.message());
              self->stream_.lowest_layer().set_option(asio::ip::tcp::no_delay(true));
              const std::string& host = self->options_.host;
              asio::error_code not_ip;
              asio::ip::make_address(host, not_ip);
              // SNI carries names only, never IP literals (RFC 6066).
              if (not_ip) SSL_set_tlsext_host_name(self->stream_.native_handle(), host.c_str());
              self->stream_.set_verify_mode(asio::ssl::verify_peer);
              self->stream_.set_verify_callback(asio::ssl::host_name_verification(host));
              self->stream_.async_handshake(
                  asio::ssl::stream_base::client, [self](const asio::error_code& ec) {
                    if (self->closed_) return;
                    if (ec) return self->close("TLS handshake failed: " + ec.message());
                    self->on_connected();
                  });
            });
      });
}

void Http2Connection::on_connected() {
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(stream_.native_handle(), &alpn, &alpn_len);
  if (alpn_len != 2 || std::memcmp(alpn, "h2", 2) != 0) {
    return close("server did not select ALPN h2");
  }

  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::on_stream_close);
  int rv = nghttp2_session_client_new(&session_, cbs, this);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return close(std::string("nghttp2 init: ") + nghttp2_strerror(rv));

  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);

  connected_ = true;
  connect_timer_.cancel();
  log::debug("http2 {}:{}: connected", options_.host, options_.port);
  last_read_ = std::chrono::steady_clock::now();
  pump();
  do_write();
  do_read();
  schedule_ping();
  notify_capacity();
}

void Http2Connection::schedule_ping() {
  if (options_.ping_interval.count() <= 0 || closed_) return;
  std::weak_ptr<Http2Connection> weak = shared_from_this();
  ping_timer_.expires_after(options_.ping_interval);
  ping_timer_.async_wait([weak](const asio::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed_) return;
    if (self->ping_outstanding_) return self->close("PING not answered");
    // Only idle connections need proof of life; traffic is proof enough.
    if (std::chrono::steady_clock::now() - self->last_read_ >= self->options_.ping_interval) {
      nghttp2_submit_ping(self->session_, NGHTTP2_FLAG_NONE, nullptr);
      self->ping_outstanding_ = true;
      self->do_write();
    }
    self->schedule_ping();
  });
}

void Http2Connection::notify_capacity() {
  if (on_capacity_ && !closed_) on_capacity_();
}

size_t Http2Connection::free_slots() const {
  if (!connected_ || !accepting() || session_ == nullptr) return 0;
  size_t used = streams_.size() + queue_.size();
  size_t limit = stream_limit();
  return used >= limit ? 0 : limit - used;
}

void Http2Connection::submit(Http2Request request, Callback done) {
  auto p = std::make_shared<Pending>(io_, std::move(request), std::move(done));
  if (!accepting()) {
    finish(*p,
           {Http2Outcome::not_processed, {}, closed_ ? "connection closed" : "GOAWAY received"});
    return;
  }
  std::weak_ptr<Http2Connection> weak = shared_from_this();
  std::weak_ptr<Pending> weak_p = p;
  p->timer.expires_after(options_.request_timeout);
  p->timer.async_wait([weak, weak_p](const asio::error_code& ec) {
    auto self = weak.lock();
    auto pending = weak_p.lock();
    if (!ec && self && pending) self->on_request_timeout(pending);
  });
  queue_.push_back(std::move(p));
  if (!started_) start();
  pump();
  // The requests submitted in one event-loop pass share one write.
  write_later_.request(io_, [self = shared_from_this()] { self->do_write(); });
}

void Http2Connection::on_request_timeout(const std::shared_ptr<Pending>& p) {
  if (!p->done) return;
  if (p->stream_id < 0) {
    queue_.erase(std::remove(queue_.begin(), queue_.end(), p), queue_.end());
    finish(*p, {Http2Outcome::not_processed, {}, "timeout before the request was sent"});
    return;
  }
  // Keep the stream entry until nghttp2 closes it; the callback goes now.
  finish(*p, {failure_outcome(*p), {}, "request timeout"});
  if (session_ != nullptr && !closed_) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, p->stream_id, NGHTTP2_CANCEL);
    do_write();
  }
}

size_t Http2Connection::stream_limit() const {
  if (!first_response_seen_) return 1;
  uint32_t remote =
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return std::clamp<size_t>(remote, 1, kLocalStreamCap);
}

void Http2Connection::pump() {
  if (closed_) return;
  if (goaway_) {
    // Nothing queued here was sent; let the owner resend it elsewhere.
    auto queue = std::move(queue_);
    queue_.clear();
    for (auto& p : queue) finish(*p, {Http2Outcome::not_processed, {}, "GOAWAY received"});
    return;
  }
  if (!connected_) return;
  while (!queue_.empty() && streams_.size() < stream_limit()) {
    std::shared_ptr<Pending> p = std::move(queue_.front());
    queue_.pop_front();
    if (!start_stream(p)) break;
  }
}

bool Http2Connection::start_stream(const std::shared_ptr<Pending>& p) {
  const Http2Request& r = p->request;
  if (authority_.empty())
    authority_ =
        options_.port == 443 ? options_.host : options_.host + ":" + std::to_string(options_.port);
  std::vector<nghttp2_nv> nva = request_header_list(r, authority_);

  nghttp2_data_provider body;
  body.source.ptr = nullptr;
  body.read_callback = &Callbacks::read_body;
  int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                      r.body.empty() ? nullptr : &body, p.get());
  if (id < 0) {
    // Typically stream ids exhausted: this connection is done for new work.
    finish(*p, {Http2Outcome::not_processed, {}, std::string("submit: ") + nghttp2_strerror(id)});
    goaway_ = true;
    return false;
  }
  p->stream_id = id;
  streams_[id] = p;
  return true;
}

void Http2Connection::do_write() {
  if (writing_ || closed_ || session_ == nullptr) return;
  write_buf_.clear();
  while (write_buf_.size() < kWriteBatchLimit) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) return close(std::string("nghttp2 send: ") + nghttp2_strerror(static_cast<int>(n)));
    if (n == 0) break;
    write_buf_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  if (write_buf_.empty()) {
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
      close("session finished");
    }
    return;
  }
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(stream_, asio::buffer(write_buf_), [self](const asio::error_code& ec, size_t) {
    self->writing_ = false;
    if (self->closed_) return;
    if (ec) return self->close("write failed: " + ec.message());
    self->do_write();
  });
}

void Http2Connection::do_read() {
  auto self = shared_from_this();
  stream_.async_read_some(asio::buffer(read_buf_), [self](const asio::error_code& ec, size_t n) {
    if (self->closed_) return;
    if (ec) {
      return self->close(ec == asio::error::eof || ec == asio::ssl::error::stream_truncated
                             ? "closed by server"
                             : "read failed: " + ec.message());
    }
    self->last_read_ = std::chrono::steady_clock::now();
    ssize_t rv = nghttp2_session_mem_recv(self->session_, self->read_buf_.data(), n);
    if (rv < 0) {
      return self->close(std::string("nghttp2 recv: ") + nghttp2_strerror(static_cast<int>(rv)));
    }
    self->pump();
    self->do_write();
    if (self->closed_) return;
    self->do_read();
    self->notify_capacity();
  });
}

Http2Outcome Http2Connection::failure_outcome(const Pending& p) const {
  if (!p.headers_sent) return Http2Outcome::not_processed;
  if (goaway_ && p.stream_id > goaway_last_stream_id_) return Http2Outcome::not_processed;
  return Http2Outcome::unknown;
}

void Http2Connection::finish(Pending& p, Http2Result result) {
  p.timer.cancel();
  if (!p.done) return;
  asio::post(io_, [done = std::move(p.done), result = std::move(result)]() mutable {
    done(std::move(result));
  });
  p.done = nullptr;
}

void Http2Connection::close(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  bool was_connected = connected_;
  log::debug("http2 {}:{}: closing: {}", options_.host, options_.port, why);
  connect_timer_.cancel();
  ping_timer_.cancel();
  resolver_.cancel();
  asio::error_code ignored;
  stream_.lowest_layer().close(ignored);

  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, p] : streams) {
    Http2Result result;
    if (p->response.status != 0) {
      // Headers arrived; the status is what decides, even if the body was cut.
      result.outcome = Http2Outcome::response;
      result.response = std::move(p->response);
    } else {
      result.outcome = failure_outcome(*p);
      result.error = why;
    }
    finish(*p, std::move(result));
  }
  auto queue = std::move(queue_);
  queue_.clear();
  for (auto& p : queue) finish(*p, {Http2Outcome::not_processed, {}, why});

  if (on_closed_) {
    asio::post(io_, [handler = std::move(on_closed_), was_connected, why] {
      handler(was_connected, why);
    });
    on_closed_ = nullptr;
  }
}

}  // namespace herald::push::apns
