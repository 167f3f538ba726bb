// XEP-0114 component mode: Herald connects to a local XMPP server (Prosody,
// ejabberd) as an external component and serves its domain through it, so
// that the server does federation (s2s, certificates, DNS) for Herald.
//
// Contract: single-threaded on the io_context. start() connects to
// config.host:port, opens a jabber:component:accept stream to config.domain
// and authenticates with the handshake (SHA-1 of stream id + secret). Once
// the server answers <handshake/>, stanzas flow both ways: received ones go
// to the StanzaHandler in the jabber:server namespace (as over s2s), send()
// writes ours. While not connected, send() queues up to
// config.max_queued_stanzas (older ones are kept, newer dropped and
// counted). A lost or refused connection is retried with exponential
// backoff (initial .. max, reset after a successful handshake). stop()
// closes the stream and stops retrying.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "xml/stream_parser.h"
#include "xmpp/stanza_channel.h"

namespace herald::xmpp {

struct ComponentConfig {
  std::string domain;  // the component's domain, e.g. "push.example.org"
  std::string host;    // the XMPP server's component port: IP literal
  uint16_t port = 5347;
  std::string secret;
  xml::StreamLimits limits;
  size_t max_queued_stanzas = 1000;
  std::chrono::milliseconds backoff_initial{1'000};
  std::chrono::milliseconds backoff_max{60'000};
};

class ComponentStream;

class ComponentLink : public StanzaSender, public std::enable_shared_from_this<ComponentLink> {
 public:
  ComponentLink(asio::io_context& io, ComponentConfig config, StanzaHandler& handler);
  ~ComponentLink() override;

  void start();
  void stop();
  void send(xml::Element stanza) override;

  bool ready() const { return ready_; }
  size_t queued() const { return queue_.size(); }
  unsigned connections() const { return connections_; }  // attempts that reached the handshake

  // For the stream.
  void on_ready();
  void on_stanza(xml::Element stanza);
  void on_closed();

 private:
  void connect();
  void retry_later();

  asio::io_context& io_;
  ComponentConfig config_;
  StanzaHandler& handler_;
  asio::ssl::context tls_;  // unused (no TLS on a local component port), required by the stream
  std::shared_ptr<ComponentStream> stream_;
  asio::steady_timer retry_timer_;
  std::chrono::milliseconds backoff_;
  std::deque<xml::Element> queue_;
  size_t dropped_ = 0;
  unsigned connections_ = 0;
  bool ready_ = false;
  bool stopped_ = true;
};

}  // namespace herald::xmpp
