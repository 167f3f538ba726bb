#include "xmpp/stream_management.h"

#include <charconv>

namespace herald::xmpp {

void StreamManagement::sent(const xml::Element& stanza, Clock::time_point since, bool keep) {
  if (!sending_) return;
  ++outbound_;
  Entry entry;
  if (keep) entry.item = Unacked{stanza, since};
  unacked_.push_back(std::move(entry));
  ++sent_since_request_;
}

bool StreamManagement::request_due() {
  constexpr uint32_t kRequestEvery = 16;
  if (!sending_ || request_scheduled_ || sent_since_request_ == 0) return false;
  if (request_unanswered_ && sent_since_request_ < kRequestEvery) return false;
  request_scheduled_ = true;
  return true;
}

bool StreamManagement::take_request() {
  request_scheduled_ = false;
  if (!sending_ || sent_since_request_ == 0) return false;
  request_unanswered_ = true;
  sent_since_request_ = 0;
  return true;
}

void StreamManagement::stop() {
  sending_ = handling_ = false;
  unacked_.clear();
  outbound_ = inbound_ = acked_ = 0;
  request_scheduled_ = request_unanswered_ = false;
  sent_since_request_ = 0;
}

std::string StreamManagement::ack_element() const {
  return "<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(inbound_) + "'/>";
}

std::string StreamManagement::request_element() {
  return "<r xmlns='urn:xmpp:sm:3'/>";
}

std::optional<StreamManagement::AckError> StreamManagement::on_ack(std::string_view h) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(h.data(), h.data() + h.size(), value);
  if (h.empty() || ec != std::errc() || end != h.data() + h.size())
    return AckError{"invalid-xml", "the h of <a/> is not an unsigned 32-bit number", {}};
  // Modulo 2^32: the distance from the last ack, also across the wrap.
  uint32_t newly = value - acked_;
  if (newly > outstanding()) {
    return AckError{"undefined-condition", "acknowledged more stanzas than were sent",
                    "<handled-count-too-high xmlns='urn:xmpp:sm:3' h='" + std::to_string(value) +
                        "' send-count='" + std::to_string(outbound_) + "'/>"};
  }
  for (uint32_t i = 0; i < newly; ++i) unacked_.pop_front();
  acked_ = value;
  request_unanswered_ = false;
  return std::nullopt;
}

std::vector<StreamManagement::Unacked> StreamManagement::take_unacked() {
  std::vector<Unacked> out;
  for (auto& entry : unacked_)
    if (entry.item) out.push_back(std::move(*entry.item));
  unacked_.clear();
  acked_ = outbound_;
  return out;
}

}  // namespace herald::xmpp
