// An Upstream decorator that measures each push sent through a module: a
// count by module, result and reason code, the request's latency, the
// requests in flight, and the module's state for readiness and the status
// page. The app server sees an ordinary Upstream; nothing in push/ knows.
//
// Readiness from the answers: a module is ready until an answer shows that
// the upstream is unreachable (no HTTP response) or refuses our credentials
// or configuration (APNs/FCM `rejected`: 403, other 400s), or until 5xx
// answers come often enough that the module back-off pauses the module
// (push/upstream_backoff.h, the same rule: by default 3 in a row). A single
// 5xx, which Apple sends for one device now and then, leaves it ready. Any
// later answer that proves the opposite (a delivery, a token verdict, a 429)
// makes it ready again, and the reason of the failure is dropped. Before
// its first push a module counts as ready.
//
// Reason labels come from a fixed list of Apple's and Google's codes;
// anything else is "other", and causes without an HTTP answer "connection".
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "apps/herald/status/minute_ring.h"
#include "base/metrics.h"
#include "push/upstream.h"
#include "push/upstream_backoff.h"

namespace herald::app::status {

struct UpstreamState {
  std::string module;
  std::string service;           // "apns" | "fcm"
  std::string state = "idle";    // idle | ok | throttled | unreachable | refused
  std::string reason;            // the current failure's reason label ("" when none)
  bool ready = true;
  size_t in_flight = 0;
  uint64_t sent = 0;
  uint64_t delivered = 0;
  push::UpstreamBackoff backoff;  // the module back-off's rule, for readiness
  std::chrono::system_clock::time_point last_answer{};
};

// The reason label of a result (see the header comment).
std::string reason_label(const push::UpstreamResult& result);

class MeteredUpstream : public push::Upstream {
 public:
  MeteredUpstream(std::shared_ptr<push::Upstream> inner, std::string module, std::string service,
                  metrics::Registry& registry, MinuteRing& ring);

  void send(const push::PushJob& job, std::function<void(push::UpstreamResult)> done) override;
  bool token_plausible(const std::string& token) const override {
    return inner_->token_plausible(token);
  }
  const UpstreamState& state() const { return *state_; }

 private:
  std::shared_ptr<push::Upstream> inner_;
  metrics::Registry& registry_;
  MinuteRing& ring_;
  // Shared with callbacks, which may outlive a send's caller.
  std::shared_ptr<UpstreamState> state_;
};

}  // namespace herald::app::status
