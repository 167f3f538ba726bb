// Our outgoing s2s link from one served domain to one remote domain.
//
// Contract: send() never blocks. While no stream is ready, stanzas wait in a
// bounded queue (config.max_queued_stanzas; beyond it they are dropped and
// counted) and a connection is started: targets from s2s_route, each
// address in turn (IPv6 and IPv4), until one stream authenticates. If all
// fail, queued stanzas younger than config.stanza_lifetime stay queued and
// a new attempt follows after the reconnect backoff; older ones are dropped
// (logged with the count and the domain). A stanza is written once: one
// lost with its stream after being written is not sent again (replies are
// never duplicated) -- unless the stream had XEP-0198 stream management
// and the peer never acknowledged it: then it goes back to the front of
// the queue, for a new stream, still within config.stanza_lifetime of when
// it was first queued. Acknowledged stanzas are never sent again.
// Also carries db:verify requests for inbound dialback (verify()).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "xmpp/s2s/s2s_host.h"
#include "xmpp/s2s/s2s_outbound_stream.h"
#include "xmpp/s2s/s2s_route.h"

namespace herald::xmpp {

class S2sOutbound : public S2sOutboundStream::Listener,
                    public std::enable_shared_from_this<S2sOutbound> {
 public:
  S2sOutbound(asio::io_context& io, S2sHost& host, std::string local, std::string remote);

  void send(xml::Element stanza);
  // A stanza first queued at `since` (sent before, on a stream that was
  // lost unacknowledged): it goes ahead of newer ones, within its lifetime.
  void send(xml::Element stanza, std::chrono::steady_clock::time_point since);
  // Asks the remote (authoritative) server whether `key` is valid for our
  // inbound stream `stream_id`; `done` runs exactly once (false on failure).
  void verify(const std::string& stream_id, const std::string& key, std::function<void(bool)> done);
  // Closes the stream and forgets everything queued (service shutdown).
  void stop();

  bool ready() const { return ready_ && stream_ != nullptr; }
  size_t queued() const { return queue_.size(); }
  bool connecting() const { return connecting_; }
  // How the current (or last) stream authenticated: "SASL EXTERNAL", "dialback".
  const std::string& auth_method() const { return auth_method_; }

 private:
  struct VerifyRequest {
    std::string id;
    std::string key;
    std::function<void(bool)> done;
    bool sent = false;
  };

  void on_ready(S2sOutboundStream* stream) override;
  void on_verify_ready(S2sOutboundStream* stream) override;
  void on_verify_result(const std::string& id, bool valid) override;
  void on_closed(S2sOutboundStream* stream, bool was_ready) override;

  void ensure_connecting();
  void connect();
  void next_target();
  void next_endpoint();
  void give_up();
  void fail_verifies();
  void send_verifies();

  asio::io_context& io_;
  S2sHost& host_;
  std::string local_;
  std::string remote_;
  std::shared_ptr<S2sOutboundStream> stream_;
  bool ready_ = false;
  bool verify_ready_ = false;  // TLS up and no SASL exchange in flight
  bool connecting_ = false;
  bool stopped_ = false;
  std::string auth_method_;
  struct Queued {
    xml::Element stanza;
    std::chrono::steady_clock::time_point since;
  };
  // Drops queued stanzas older than config.stanza_lifetime; returns how many.
  size_t expire_queue();
  // XEP-0198: what a lost stream sent but the peer never acknowledged.
  void requeue_unacked(S2sOutboundStream& stream);
  std::deque<Queued> queue_;
  size_t overflowed_ = 0;
  std::vector<VerifyRequest> verifies_;
  std::vector<S2sTarget> targets_;
  size_t target_index_ = 0;
  std::vector<asio::ip::tcp::endpoint> endpoints_;
  size_t endpoint_index_ = 0;
  bool endpoint_direct_tls_ = false;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_;
  asio::steady_timer retry_timer_;
  bool retry_scheduled_ = false;
};

}  // namespace herald::xmpp
