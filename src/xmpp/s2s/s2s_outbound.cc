#include "xmpp/s2s/s2s_outbound.h"

#include <algorithm>

#include "base/log.h"
#include "net/resolver.h"
#include "xmpp/s2s/s2s_stream.h"

namespace herald::xmpp {

S2sOutbound::S2sOutbound(asio::io_context& io, S2sHost& host, std::string local, std::string remote)
    : io_(io),
      host_(host),
      local_(std::move(local)),
      remote_(std::move(remote)),
      backoff_(host.config().reconnect_backoff_initial),
      retry_timer_(io) {}

void S2sOutbound::send(xml::Element stanza) {
  if (stopped_) return;
  if (ready()) {
    stream_->send(stanza);
    return;
  }
  if (queue_.size() >= host_.config().max_queued_stanzas) {
    ++overflowed_;
    log::debug("s2s outbound to {}: queue full, dropping a stanza", remote_);
  } else {
    queue_.push_back({std::move(stanza), std::chrono::steady_clock::now()});
  }
  ensure_connecting();
}

void S2sOutbound::send(xml::Element stanza, std::chrono::steady_clock::time_point since) {
  if (stopped_) return;
  if (ready()) {
    stream_->send(stanza, since);
    return;
  }
  // Older than anything queued since: after the others requeued so far.
  auto it = std::find_if(queue_.begin(), queue_.end(),
                         [since](const Queued& q) { return q.since > since; });
  queue_.insert(it, {std::move(stanza), since});
  ensure_connecting();
}

void S2sOutbound::verify(const std::string& stream_id, const std::string& key,
                         std::function<void(bool)> done) {
  if (stopped_) {
    done(false);
    return;
  }
  verifies_.push_back({stream_id, key, std::move(done), false});
  if (stream_ && verify_ready_)
    send_verifies();
  else
    ensure_connecting();
}

void S2sOutbound::stop() {
  stopped_ = true;
  retry_timer_.cancel();
  queue_.clear();
  fail_verifies();
  if (stream_) stream_->close_stream();
}

void S2sOutbound::ensure_connecting() {
  if (connecting_ || stream_ || stopped_) return;
  auto now = std::chrono::steady_clock::now();
  if (now >= next_attempt_) {
    connect();
    return;
  }
  if (retry_scheduled_) return;
  retry_scheduled_ = true;
  retry_timer_.expires_at(next_attempt_);
  retry_timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    self->retry_scheduled_ = false;
    if (ec || self->stopped_) return;
    self->expire_queue();
    if (!self->queue_.empty() || !self->verifies_.empty()) self->connect();
  });
}

void S2sOutbound::connect() {
  if (connecting_ || stream_) return;
  connecting_ = true;
  targets_.clear();
  target_index_ = 0;
  std::weak_ptr<S2sOutbound> weak = shared_from_this();
  find_s2s_targets(host_.resolver(), host_.config(), remote_,
                   [weak](std::vector<S2sTarget> targets) {
                     auto self = weak.lock();
                     if (!self || self->stopped_) return;
                     self->targets_ = std::move(targets);
                     self->next_target();
                   });
}

void S2sOutbound::next_target() {
  if (target_index_ >= targets_.size()) {
    give_up();
    return;
  }
  S2sTarget target = targets_[target_index_++];
  std::weak_ptr<S2sOutbound> weak = shared_from_this();
  host_.resolver().query_addresses(
      target.host, [weak, target](std::vector<asio::ip::address> addresses) {
        auto self = weak.lock();
        if (!self || self->stopped_) return;
        self->endpoints_.clear();
        for (const auto& a : addresses) self->endpoints_.emplace_back(a, target.port);
        self->endpoint_index_ = 0;
        self->endpoint_direct_tls_ = target.direct_tls;
        if (addresses.empty())
          log::info("s2s outbound to {}: no address for a target host", self->remote_);
        self->next_endpoint();
      });
}

void S2sOutbound::next_endpoint() {
  if (endpoint_index_ >= endpoints_.size()) {
    next_target();
    return;
  }
  auto endpoint = endpoints_[endpoint_index_++];
  stream_ = S2sOutboundStream::create(io_, host_, local_, remote_, endpoint, endpoint_direct_tls_,
                                      weak_from_this());
  stream_->start();
}

void S2sOutbound::give_up() {
  connecting_ = false;
  size_t dropped = expire_queue() + overflowed_;
  overflowed_ = 0;
  fail_verifies();
  // Never a busy loop, even with a zero initial backoff.
  auto delay = std::max(backoff_, std::chrono::milliseconds(50));
  next_attempt_ = std::chrono::steady_clock::now() + delay;
  log::info(
      "s2s outbound to {}: connection failed, {} stanzas kept for a retry in {} ms, {} dropped",
      remote_, queue_.size(), delay.count(), dropped);
  backoff_ = std::min(delay * 2, host_.config().reconnect_backoff_max);
  if (!queue_.empty()) ensure_connecting();
}

void S2sOutbound::requeue_unacked(S2sOutboundStream& stream) {
  auto unacked = stream.take_unacked();
  if (unacked.empty()) return;
  // They were sent before anything still queued: back to the front, in
  // their order, each with its original time.
  for (auto it = unacked.rbegin(); it != unacked.rend(); ++it)
    queue_.push_front({std::move(it->stanza), it->since});
  size_t expired = expire_queue();
  log::info("s2s outbound to {}: {} stanzas the peer did not acknowledge go out again, {} expired",
            remote_, unacked.size() - std::min(expired, unacked.size()), expired);
}

size_t S2sOutbound::expire_queue() {
  auto oldest = std::chrono::steady_clock::now() - host_.config().stanza_lifetime;
  size_t n = 0;
  while (!queue_.empty() && queue_.front().since < oldest) {
    queue_.pop_front();
    ++n;
  }
  return n;
}

void S2sOutbound::fail_verifies() {
  auto pending = std::move(verifies_);
  verifies_.clear();
  for (auto& v : pending) v.done(false);
}

void S2sOutbound::on_verify_ready(S2sOutboundStream* stream) {
  if (stream != stream_.get()) return;
  verify_ready_ = true;
  send_verifies();
}

void S2sOutbound::send_verifies() {
  for (auto& v : verifies_) {
    if (v.sent) continue;
    xml::Element request("verify", std::string(s2s::kDialbackNs));
    request.set_attr("from", local_).set_attr("to", remote_).set_attr("id", v.id);
    request.set_text(v.key);
    stream_->send(request);
    v.sent = true;
  }
}

void S2sOutbound::on_verify_result(const std::string& id, bool valid) {
  auto it = std::find_if(verifies_.begin(), verifies_.end(),
                         [&](const VerifyRequest& v) { return v.sent && v.id == id; });
  if (it == verifies_.end()) return;
  auto done = std::move(it->done);
  verifies_.erase(it);
  done(valid);
}

void S2sOutbound::on_ready(S2sOutboundStream* stream) {
  if (stream != stream_.get()) return;
  ready_ = true;
  connecting_ = false;
  auth_method_ = stream->auth_method();
  backoff_ = host_.config().reconnect_backoff_initial;
  if (overflowed_ > 0)
    log::info("s2s outbound to {}: {} stanzas dropped while connecting (queue full)", remote_,
              overflowed_);
  overflowed_ = 0;
  if (size_t expired = expire_queue())
    log::info("s2s outbound to {}: {} queued stanzas expired before the stream was up", remote_,
              expired);
  while (!queue_.empty()) {
    stream_->send(queue_.front().stanza, queue_.front().since);
    queue_.pop_front();
  }
}

void S2sOutbound::on_closed(S2sOutboundStream* stream, bool was_ready) {
  if (stream != stream_.get()) return;
  auto keep = stream_;  // the stream is inside its own callback
  stream_.reset();
  verify_ready_ = false;
  ready_ = false;
  // Requests written but unanswered will not be answered now.
  std::vector<VerifyRequest> unsent;
  for (auto& v : verifies_) {
    if (v.sent)
      v.done(false);
    else
      unsent.push_back(std::move(v));
  }
  verifies_ = std::move(unsent);
  if (stopped_) return;
  if (was_ready) requeue_unacked(*keep);
  if (was_ready) {
    connecting_ = false;
    if (!queue_.empty() || !verifies_.empty()) ensure_connecting();
    return;
  }
  asio::post(io_, [self = shared_from_this()] {
    if (!self->stopped_ && !self->stream_) self->next_endpoint();
  });
}

}  // namespace herald::xmpp
