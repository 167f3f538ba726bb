#include "sim-common/h2_connection.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>

#include "base/log.h"

namespace herald::sim {
namespace {

nghttp2_nv header(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

std::string ClientCertificate::first(std::string_view name) const {
  for (const auto& [key, value] : subject) {
    if (key == name) return value;
  }
  return "";
}

// nghttp2's C callbacks, forwarding to the connection in user_data.
struct H2Callbacks {
  static H2Connection& self(void* user_data) { return *static_cast<H2Connection*>(user_data); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      H2Connection& connection = self(user_data);
      connection.streams_[frame->hd.stream_id] = std::make_unique<H2Connection::Stream>();
      ++connection.open_streams_;
    }
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                       void* user_data) {
    auto& streams = self(user_data).streams_;
    auto it = streams.find(frame->hd.stream_id);
    if (it == streams.end()) return 0;
    H2Request& request = it->second->request;
    std::string_view n(reinterpret_cast<const char*>(name), name_length);
    std::string v(reinterpret_cast<const char*>(value), value_length);
    if (n == ":method") {
      request.method = std::move(v);
    } else if (n == ":path") {
      request.path = std::move(v);
    } else if (n == ":authority") {
      request.authority = std::move(v);
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
    H2Request& request = it->second->request;
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
    H2Connection& connection = self(user_data);
    if (connection.streams_.erase(stream_id) > 0) --connection.open_streams_;
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
                           std::unique_ptr<ConnectionHandler> handler,
                           std::function<void(uint64_t)> on_closed)
    : stream_(std::move(stream)),
      id_(id),
      options_(options),
      handler_(std::move(handler)),
      on_closed_(std::move(on_closed)) {}

H2Connection::~H2Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

void H2Connection::start() {
  auto self = shared_from_this();
  stream_.async_handshake(asio::ssl::stream_base::server, [this, self](std::error_code ec) {
    if (closed_) return;
    if (ec) {
      log::debug("{}: connection {} TLS handshake failed: {}", options_.log_name, id_,
                 ec.message());
      close();
      return;
    }
    read_client_certificate();
    if (!start_session()) {
      close();
      return;
    }
    flush();
    read();
  });
}

void H2Connection::read_client_certificate() {
  X509* cert = SSL_get1_peer_certificate(stream_.native_handle());
  if (cert == nullptr) return;
  client_certificate_.present = true;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (length < 0) continue;
    const char* short_name = OBJ_nid2sn(nid);
    client_certificate_.subject.emplace_back(short_name != nullptr ? short_name : "?",
                                             std::string(reinterpret_cast<char*>(utf8), length));
    OPENSSL_free(utf8);
  }
  X509_free(cert);
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
  announced_streams_ = options_.initial_concurrent_streams;
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, announced_streams_}};
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
    in_receive_ = true;
    ssize_t rv = nghttp2_session_mem_recv(session_, read_buffer_.data(), n);
    in_receive_ = false;
    if (rv < 0) {
      log::debug("{}: connection {} HTTP/2 error: {}", options_.log_name, id_,
                 nghttp2_strerror(int(rv)));
      close();
      return;
    }
    flush();
    if (!closed_) read();
  });
}

void H2Connection::flush() {
  if (writing_ || closed_ || in_receive_) return;
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
  stream.request.connection_id = id_;
  stream.request.stream_id = stream_id;
  stream.request.open_streams = open_streams_;
  stream.request.announced_concurrent_streams = announced_streams_;
  stream.request.client_certificate = &client_certificate_;
  std::weak_ptr<H2Connection> weak = weak_from_this();
  handler_->on_request(stream.request, [weak, stream_id](H2Response response) {
    auto connection = weak.lock();
    if (!connection || connection->closed_) return;
    connection->respond(stream_id, std::move(response));
    connection->flush();  // no-op while inside nghttp2_session_mem_recv
  });
}

void H2Connection::respond(int32_t stream_id, H2Response response) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end() || it->second->answered) return;
  Stream& stream = *it->second;
  stream.answered = true;
  switch (response.fault) {
    case H2Fault::kResetStream:
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
      return;
    case H2Fault::kRefuseStream:
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_REFUSED_STREAM);
      return;
    case H2Fault::kGoaway: {
      // Last-stream-id below this stream: the client may retry it elsewhere.
      // Apple puts a reason JSON into GOAWAY's debug data.
      static const std::string kDebug = R"({"reason":"Shutdown"})";
      nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, std::max(0, stream_id - 2),
                            NGHTTP2_NO_ERROR, reinterpret_cast<const uint8_t*>(kDebug.data()),
                            kDebug.size());
      close_after_flush_ = true;
      return;
    }
    case H2Fault::kNone:
      break;
  }
  static const std::string kStatus = ":status";
  std::string status = std::to_string(response.status);
  std::vector<nghttp2_nv> headers;
  headers.reserve(response.headers.size() + 1);
  headers.push_back(header(kStatus, status));
  for (const auto& [name, value] : response.headers) headers.push_back(header(name, value));
  stream.response_body = std::move(response.body);
  if (stream.response_body.empty()) {
    nghttp2_submit_response(session_, stream_id, headers.data(), headers.size(), nullptr);
  } else {
    nghttp2_data_provider body;
    body.source.ptr = &stream;
    body.read_callback = H2Callbacks::read_body;
    nghttp2_submit_response(session_, stream_id, headers.data(), headers.size(), &body);
  }
  if (response.raise_concurrent_streams && *response.raise_concurrent_streams != announced_streams_) {
    announced_streams_ = *response.raise_concurrent_streams;
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, announced_streams_}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
  }
  if (response.goaway_after) {
    // Graceful: streams up to the last one received still get answers;
    // the session stops wanting I/O once they are done, and flush() closes.
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                          nullptr, 0);
  }
}

void H2Connection::close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  if (on_closed_) on_closed_(id_);
}

}  // namespace herald::sim
