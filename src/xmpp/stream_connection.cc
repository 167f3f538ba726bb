#include "xmpp/stream_connection.h"

#include "base/log.h"
#include "xmpp/stream.h"

namespace herald::xmpp {

namespace {
// After our </stream:stream>, how long to wait for the peer's before closing.
constexpr auto kCloseGrace = std::chrono::seconds(2);
// From close_stream() to the socket's close at the latest.
constexpr auto kCloseLimit = std::chrono::seconds(10);
}  // namespace

StreamConnection::StreamConnection(StreamKind kind, asio::io_context& io, asio::ssl::context& tls,
                                   xml::StreamLimits limits,
                                   std::chrono::milliseconds idle_timeout)
    : kind_(kind),
      io_(io),
      socket_(io, tls),
      parser_(*this, limits),
      idle_timeout_(idle_timeout),
      idle_timer_(io),
      linger_timer_(io) {}

StreamConnection::~StreamConnection() = default;

void StreamConnection::start_reading() {
  // Negotiation is a chain of small request/response steps; Nagle's
  // algorithm with delayed ACKs would add ~40 ms to each.
  asio::error_code ignored;
  socket_.lowest_layer().set_option(asio::ip::tcp::no_delay(true), ignored);
  reset_idle_timer();
  read_more();
}

void StreamConnection::reset_idle_timer() {
  if (closed_) return;
  idle_timer_.expires_after(idle_timeout_);
  if (!idle_armed_) arm_idle_timer();
}

void StreamConnection::arm_idle_timer() {
  idle_armed_ = true;
  idle_timer_.async_wait([self = shared_from_this(), this](const asio::error_code&) {
    idle_armed_ = false;
    if (closed_ || closing_) return;
    if (idle_timer_.expiry() > std::chrono::steady_clock::now()) {
      arm_idle_timer();  // moved forward by activity
      return;
    }
    log::debug("{} {}: idle, closing", kind_.log_tag, log_name());
    close_stream();
  });
}

void StreamConnection::write(std::string_view bytes) {
  if (closed_ || closing_) return;
  pending_.append(bytes);
  // Written once the current handler returns: the replies completed in one
  // event-loop pass go out as one TLS record and one send(2).
  pump_later_.request(io_, [self = shared_from_this()] { self->pump(); });
}

void StreamConnection::write(const xml::Element& element) {
  if (closed_ || closing_) return;
  // Counted only behind a write still in flight: a burst written in one
  // pass of the loop goes out once the pass ends, whatever its size.
  if (max_pending_stanzas_ && writing_ && pending_stanzas_ >= max_pending_stanzas_) {
    log::info("{} {}: {} stanzas wait for the peer to read, closing", kind_.log_tag, log_name(),
              pending_stanzas_ + in_flight_stanzas_);
    fail("resource-constraint", "too many stanzas queued for this stream");
    return;
  }
  ++pending_stanzas_;
  write(to_wire(element, kind_.default_ns));
}

void StreamConnection::pump() {
  if (closed_ || writing_ || handshaking_) return;
  if (pending_.empty()) {
    auto waiters = std::move(flush_waiters_);
    flush_waiters_.clear();
    for (auto& w : waiters) w();
    return;
  }
  writing_ = true;
  in_flight_.swap(pending_);
  pending_.clear();
  in_flight_stanzas_ = pending_stanzas_;
  pending_stanzas_ = 0;
  auto done = [self = shared_from_this(), this](const asio::error_code& ec, std::size_t) {
    writing_ = false;
    in_flight_.clear();
    in_flight_stanzas_ = 0;
    if (ec) {
      log::debug("{} {}: write failed: {}", kind_.log_tag, log_name(), ec.message());
      abort();
      return;
    }
    pump();
  };
  if (tls_)
    socket_.async_write(asio::buffer(in_flight_), std::move(done));
  else
    asio::async_write(socket_.next_layer(), asio::buffer(in_flight_), std::move(done));
}

void StreamConnection::request_ack_soon(StreamManagement& sm) {
  if (!sm.request_due()) return;
  asio::post(io_, [self = shared_from_this(), this, &sm] {
    if (!closing() && sm.take_request()) write(StreamManagement::request_element());
  });
}

void StreamConnection::after_chunk(std::function<void()> action) {
  after_chunk_ = std::move(action);
}

void StreamConnection::resume_reading() {
  read_more();
}

void StreamConnection::read_more() {
  if (closed_ || reading_ || handshaking_) return;
  reading_ = true;
  auto done = [self = shared_from_this(), this](const asio::error_code& ec, std::size_t n) {
    reading_ = false;
    if (closed_) return;
    if (ec) {
      if (ec != asio::error::eof && ec != asio::ssl::error::stream_truncated)
        log::debug("{} {}: read failed: {}", kind_.log_tag, log_name(), ec.message());
      abort();
      return;
    }
    on_read(n);
  };
  auto buffer = large_read_ ? asio::buffer(large_read_.get(), kLargeRead)
                            : asio::buffer(small_read_.data(), kSmallRead);
  if (tls_)
    socket_.async_read_some(buffer, std::move(done));
  else
    socket_.next_layer().async_read_some(buffer, std::move(done));
}

void StreamConnection::on_read(std::size_t n) {
  if (closing_) {  // draining until the peer closes
    read_more();
    return;
  }
  reset_idle_timer();
  on_bytes_read(n);
  if (closing_) {
    read_more();
    return;
  }
  in_feed_ = true;
  const bool large = large_read_ != nullptr;
  auto error = parser_.feed(std::string_view(large ? large_read_.get() : small_read_.data(), n));
  in_feed_ = false;
  // Only when no read was started from a parser callback (it would be
  // reading into the buffer being swapped).
  if (!reading_ && !large && n == kSmallRead)
    large_read_ = std::make_unique_for_overwrite<char[]>(kLargeRead);
  else if (!reading_ && large && n <= kSmallRead)
    large_read_.reset();
  if (closed_) return;
  if (error && !closing_) fail(error->condition, error->text);
  if (after_chunk_ && !closing_) {
    auto action = std::move(after_chunk_);
    after_chunk_ = nullptr;
    if (writing_ || !pending_.empty())
      flush_waiters_.push_back(std::move(action));
    else
      action();
    return;
  }
  read_more();
}

void StreamConnection::tls_handshake(asio::ssl::stream_base::handshake_type type,
                                  std::function<void()> done) {
  handshaking_ = true;
  socket_.async_handshake(
      type, [self = shared_from_this(), this, done = std::move(done)](const asio::error_code& ec) {
        handshaking_ = false;
        if (closed_) return;
        if (ec) {
          log::info("{} {}: TLS handshake failed: {}", kind_.log_tag, log_name(), ec.message());
          abort();
          return;
        }
        tls_ = true;
        done();
        pump();
      });
}

void StreamConnection::fail(std::string_view condition, std::string_view text,
                         std::string_view app_specific) {
  if (closed_ || closing_) return;
  // Operators see why a stream ended; the text is ours, never the peer's.
  log::info("{} {}: stream error {} sent{}{}", kind_.log_tag, log_name(), condition, text.empty() ? "" : ": ",
            text);
  if (!header_sent_) {
    write(stream_header(kind_.default_ns, {}, {}, new_stream_id()));
    header_sent_ = true;
  }
  write(stream_error(condition, text, app_specific));
  if (in_feed_) parser_.stop();
  close_stream();
}

void StreamConnection::close_stream() {
  if (closed_ || closing_) return;
  if (header_sent_) write(kStreamClose);
  closing_ = true;
  after_chunk_ = nullptr;
  // Bounded even if the flush never completes (a peer that does not read);
  // finish_close() shortens it once everything is written.
  linger_timer_.expires_after(kCloseLimit);
  linger_timer_.async_wait([self = shared_from_this(), this](const asio::error_code& ec) {
    if (!ec) abort();
  });
  auto finish = [this] { finish_close(); };
  if (writing_ || !pending_.empty() || handshaking_)
    flush_waiters_.push_back(finish);
  else
    finish();
  // If we are not reading (e.g. between STARTTLS and the handshake), read so
  // that the peer's close is noticed.
  if (!handshaking_) read_more();
}

void StreamConnection::finish_close() {
  if (closed_) return;
  asio::error_code ignored;
  socket_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  linger_timer_.expires_after(kCloseGrace);
  linger_timer_.async_wait([self = shared_from_this(), this](const asio::error_code& ec) {
    if (!ec) abort();
  });
}

void StreamConnection::abort() {
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  asio::error_code ignored;
  socket_.lowest_layer().close(ignored);
  idle_timer_.cancel();
  linger_timer_.cancel();
  pending_.clear();
  flush_waiters_.clear();
  after_chunk_ = nullptr;
  on_disconnected();
}

}  // namespace herald::xmpp
