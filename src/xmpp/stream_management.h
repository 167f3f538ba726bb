// XEP-0198 stream management on one s2s stream, without resumption
// (resumption is not used between servers): the counters, the queue of
// stanzas sent but not yet acknowledged, and what to answer to <r/> and
// <a/>. No I/O: the stream feeds it what it sends and receives and writes
// what it returns.
//
// Contract: counters are 32-bit and wrap (h is "modulo 2^32", §4), so an
// ack is taken as the distance from the last acked count, modulo 2^32. An
// <a/> acknowledging more than was sent is a protocol violation: on_ack()
// returns an error and the stream must end with undefined-condition (§4,
// handled-count-too-high). Each direction starts counting when XEP-0198
// says so (§4 note): the side that sends <enable/> counts what it sends from
// then on and what it handles from <enabled/>; the other side counts what
// it handles from <enable/> and what it sends from <enabled/>. Before that,
// nothing is counted.
// take_unacked() hands back, oldest first, the stanzas the peer has not
// confirmed, with the time each was first queued (for the caller's
// lifetime check); the queue is then empty.
// Ack requests: one <r/> per burst of sent stanzas, and no new one while
// one is unanswered unless many stanzas went out since (request_due(),
// take_request()); an <a/> answers the one outstanding.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xml/element.h"

namespace herald::xmpp {

inline constexpr std::string_view kSmNs = "urn:xmpp:sm:3";

class StreamManagement {
 public:
  using Clock = std::chrono::steady_clock;
  struct Unacked {
    xml::Element stanza;
    Clock::time_point since;
  };
  struct AckError {
    std::string condition;  // a stream error condition
    std::string text;
    std::string wire;  // application-specific child (handled-count-too-high)
  };

  // Count (and keep) what we send from now on.
  void start_sending() { sending_ = true; }
  // Count what we handle from now on; <r/> is answered.
  void start_handling() { handling_ = true; }
  bool sending() const { return sending_; }
  bool handling() const { return handling_; }
  // The peer refused <enable/>: back to a plain stream; what was kept is
  // forgotten (it was sent, and without acks it is never sent again).
  void stop();

  // A stanza we wrote. Kept until acknowledged when `keep` (stanzas we
  // would resend on a new stream); counted either way.
  void sent(const xml::Element& stanza, Clock::time_point since, bool keep = true);
  // A stanza we received and handled.
  void handled() {
    if (handling_) ++inbound_;
  }
  // The answer to the peer's <r/>.
  std::string ack_element() const;
  static std::string request_element();
  // After sent() (and after an <a/>): whether the stream should schedule
  // an <r/> for when the current handler returns. Then take_request() at
  // that time: true if the <r/> is to be written now.
  bool request_due();
  bool take_request();
  // The peer's <a h=.../>; nullopt if fine (acknowledged stanzas dropped).
  std::optional<AckError> on_ack(std::string_view h);

  uint32_t outbound_count() const { return outbound_; }
  uint32_t inbound_count() const { return inbound_; }
  uint32_t acked_count() const { return acked_; }
  size_t unacked_size() const { return unacked_.size(); }
  // Sent stanzas not yet covered by an <a/>.
  uint32_t outstanding() const { return outbound_ - acked_; }
  std::vector<Unacked> take_unacked();

  // For tests of the wrap-around: start the counters at `value`.
  void set_counters_for_test(uint32_t value) { outbound_ = inbound_ = acked_ = value; }

 private:
  bool sending_ = false;
  bool handling_ = false;
  uint32_t outbound_ = 0;  // stanzas sent since enabling, mod 2^32
  uint32_t inbound_ = 0;   // stanzas handled since enabling (our h)
  uint32_t acked_ = 0;     // the peer's last h
  bool request_scheduled_ = false;
  bool request_unanswered_ = false;
  uint32_t sent_since_request_ = 0;
  // One entry per outstanding stanza; those not kept are placeholders so
  // that positions match the counter.
  struct Entry {
    std::optional<Unacked> item;
  };
  std::deque<Entry> unacked_;
};

}  // namespace herald::xmpp
