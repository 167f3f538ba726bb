// Measures the IQ round trip of publishes: from the moment the transport
// hands a publish to the app server until the app server sends its answer
// (result or error), whatever the path (refused at once, coalesced, sent
// upstream, timed out). Sits on both seams of the app server: as the
// StanzaHandler in front of it and as the StanzaSender behind it.
//
// The (sender, id) pairs of publishes awaiting an answer are kept in memory
// only, never logged, and forgotten when answered or after two minutes (the
// app server answers every publish within its reply timeout); at most
// kMaxPending are tracked, so a flood cannot grow the map.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "xmpp/stanza_channel.h"

namespace herald::app::status {

class IqTimer : public xmpp::StanzaHandler, public xmpp::StanzaSender {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxPending = 10000;

  // `observe` gets each round trip in seconds.
  explicit IqTimer(std::function<void(double)> observe) : observe_(std::move(observe)) {}

  // Both must be set before the first stanza; they must outlive the timer.
  void set_handler(xmpp::StanzaHandler* handler) { handler_ = handler; }
  void set_sender(xmpp::StanzaSender* sender) { sender_ = sender; }

  void handle(xml::Element stanza) override;  // transport -> app server
  void send(xml::Element stanza) override;    // app server -> transport

  size_t pending() const { return pending_.size(); }

 private:
  void sweep(Clock::time_point now);

  std::function<void(double)> observe_;
  xmpp::StanzaHandler* handler_ = nullptr;
  xmpp::StanzaSender* sender_ = nullptr;
  std::map<std::pair<std::string, std::string>, Clock::time_point> pending_;  // (from, id)
  Clock::time_point last_sweep_{};
};

}  // namespace herald::app::status
