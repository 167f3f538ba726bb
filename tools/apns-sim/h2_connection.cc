#include "apns-sim/h2_connection.h"

#include <chrono>

#include "base/log.h"

namespace herald::apns_sim {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

nghttp2_nv header(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

// nghttp2's C callbacks, forwarding to the connection in user_data.
struct H2Callbacks {
  static H2Connection& self(void* user_data) { return *static_cast<H2Connection*>(user_data); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      self(user_data).streams_[frame->hd.stream_id] = std::make_unique<H2Connection::Stream>();
    }
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                       void* user_data) {
    auto& streams = self(user_data).streams_;
    auto it = streams.find(frame->hd.stream_id);
    if (it == streams.end()) return 0;
    Request& request = it->second->request;
    std::string_view n(reinterpret_cast<const char*>(name), name_length);
    std::string v(reinterpret_cast<const char*>(value), value_length);
    if (n == ":method") {
      request.method = std::move(v);
    } else if (n == ":path") {
      request.path = std::move(v);
    } else if (!n.empty() && n.front() != ':') {
      request.headers.emplace_back(std::string(n), std::move(v));
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                           size_t length, void* user_data) {
    auto& streams = self(user_data).streams_;
    auto it = streams.find(stream_id);
    if (it == streams.end()) return 0;
    Request& request = it->second->request;
    request.body_size += length;
    size_t room = kMaxStoredBody - std::min(kMaxStoredBody, request.body.size());
    request.body.append(reinterpret_cast<const char*>(data), std::min(room, length));
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    bool request_done = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
    if (!request_done) return 0;
    H2Connection& connection = self(user_data);
    auto it = connection.streams_.find(frame->hd.stream_id);
    if (it != connection.streams_.end()) connection.handle_request(it->first, *it->second);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
    self(user_data).streams_.erase(stream_id);
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                           uint32_t* data_flags, nghttp2_data_source* source, void*) {
    auto* stream = static_cast<H2Connection::Stream*>(source->ptr);
    size_t n = std::min(length, stream->response_body.size() - stream->body_sent);
    std::copy_n(stream->response_body.data() + stream->body_sent, n, buf);
    stream->body_sent += n;
    if (stream->body_sent == stream->response_body.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return ssize_t(n);
  }
};

H2Connection::H2Connection(TlsStream stream, uint64_t id, const ConnectionOptions& options,
                           const JwtVerifier& verifier, Simulator& simulator, Recorder* recorder,
                           std::function<void(uint64_t)> on_closed)
    : stream_(std::move(stream)),
      id_(id),
      options_(options),
      simulator_(simulator),
      recorder_(recorder),
      on_closed_(std::move(on_closed)),
      auth_(verifier, options.limit_token_updates) {}

H2Connection::~H2Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

void H2Connection::start() {
  auto self = shared_from_this();
  stream_.async_handshake(asio::ssl::stream_base::server, [this, self](std::error_code ec) {
    if (closed_) return;
    if (ec) {
      log::debug("apns-sim: connection {} TLS handshake failed: {}", id_, ec.message());
      close();
      return;
    }
    if (!start_session()) {
      close();
      return;
    }
    flush();
    read();
  });
}

bool H2Connection::start_session() {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, H2Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, H2Callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, H2Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, H2Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, H2Callbacks::on_stream_close);
  int rv = nghttp2_session_server_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) return false;
  uint32_t streams = options_.one_stream_until_authenticated ? 1 : options_.max_concurrent_streams;
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, streams}};
  return nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1) == 0;
}

void H2Connection::read() {
  auto self = shared_from_this();
  stream_.async_read_some(asio::buffer(read_buffer_), [this, self](std::error_code ec, size_t n) {
    if (closed_) return;
    if (ec) {
      close();
      return;
    }
    ssize_t rv = nghttp2_session_mem_recv(session_, read_buffer_.data(), n);
    if (rv < 0) {
      log::debug("apns-sim: connection {} HTTP/2 error: {}", id_, nghttp2_strerror(int(rv)));
      close();
      return;
    }
    flush();
    if (!closed_) read();
  });
}

void H2Connection::flush() {
  if (writing_ || closed_) return;
  write_buffer_.clear();
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      close();
      return;
    }
    if (n == 0) break;
    write_buffer_.append(reinterpret_cast<const char*>(data), size_t(n));
  }
  if (write_buffer_.empty()) {
    if (close_after_flush_ ||
        (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_))) {
      close();
    }
    return;
  }
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(stream_, asio::buffer(write_buffer_), [this, self](std::error_code ec, size_t) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      close();
      return;
    }
    flush();
  });
}

void H2Connection::handle_request(int32_t stream_id, Stream& stream) {
  int64_t now = now_ms();
  Outcome outcome = simulator_.handle(stream.request, auth_, now);
  if (recorder_ != nullptr) {
    recorder_->write(record_line(stream.request, outcome, now, id_, stream_id));
  }
  if (spdlog::should_log(spdlog::level::debug)) {  // fingerprint() hashes; skip when off
    log::debug("apns-sim: connection {} stream {} token {} -> {} {}", id_, stream_id,
               log::fingerprint(outcome.token), outcome.verdict.status, outcome.verdict.reason);
  }
  respond(stream_id, stream, outcome);
  if (options_.one_stream_until_authenticated && !streams_raised_ && auth_.authenticated()) {
    streams_raised_ = true;
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
  }
}

void H2Connection::respond(int32_t stream_id, Stream& stream, const Outcome& outcome) {
  switch (outcome.transport_fault) {
    case FaultKind::kResetStream:
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
      return;
    case FaultKind::kRefuseStream:
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_REFUSED_STREAM);
      return;
    case FaultKind::kGoaway: {
      // Last-stream-id below this stream: the client may retry it elsewhere.
      // Apple puts the reason JSON into GOAWAY's debug data.
      static const std::string kDebug = R"({"reason":"Shutdown"})";
      nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, std::max(0, stream_id - 2),
                            NGHTTP2_NO_ERROR, reinterpret_cast<const uint8_t*>(kDebug.data()),
                            kDebug.size());
      close_after_flush_ = true;
      return;
    }
    default:
      break;
  }
  static const std::string kStatus = ":status";
  static const std::string kApnsId = "apns-id";
  static const std::string kContentType = "content-type";
  static const std::string kJson = "application/json";
  std::string status = std::to_string(outcome.verdict.status);
  stream.response_body = error_body(outcome.verdict);
  nghttp2_nv headers[] = {header(kStatus, status), header(kApnsId, outcome.apns_id),
                          header(kContentType, kJson)};
  if (stream.response_body.empty()) {
    nghttp2_submit_response(session_, stream_id, headers, 2, nullptr);
    return;
  }
  nghttp2_data_provider body;
  body.source.ptr = &stream;
  body.read_callback = H2Callbacks::read_body;
  nghttp2_submit_response(session_, stream_id, headers, 3, &body);
}

void H2Connection::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  if (on_closed_) on_closed_(id_);
}

}  // namespace herald::apns_sim
