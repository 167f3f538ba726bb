#include "apps/herald/status/iq_timer.h"

#include "push/publish.h"

namespace herald::app::status {

void IqTimer::handle(xml::Element stanza) {
  if (stanza.name() == "iq" && stanza.attr_or("type") == "set" && push::is_publish(stanza)) {
    auto now = Clock::now();
    sweep(now);
    if (pending_.size() < kMaxPending)
      pending_[{std::string(stanza.attr_or("from")), std::string(stanza.attr_or("id"))}] = now;
  }
  if (handler_) handler_->handle(std::move(stanza));
}

void IqTimer::send(xml::Element stanza) {
  if (stanza.name() == "iq" && !pending_.empty()) {
    std::string_view type = stanza.attr_or("type");
    if (type == "result" || type == "error") {
      auto it = pending_.find({std::string(stanza.attr_or("to")), std::string(stanza.attr_or("id"))});
      if (it != pending_.end()) {
        observe_(std::chrono::duration<double>(Clock::now() - it->second).count());
        pending_.erase(it);
      }
    }
  }
  if (sender_) sender_->send(std::move(stanza));
}

void IqTimer::sweep(Clock::time_point now) {
  if (now - last_sweep_ < std::chrono::seconds(10)) return;
  last_sweep_ = now;
  std::erase_if(pending_, [&](const auto& e) { return now - e.second > std::chrono::minutes(2); });
}

}  // namespace herald::app::status
