// What the push app server asks of an upstream push service (APNs, FCM) and
// the classified outcome it gets back. One Upstream serves one push module
// (topic, environment, credentials), so a job carries only per-push facts.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace herald::push {

struct PushJob {
  std::string token;       // device token as published (the pubsub node)
  bool important = false;  // non-empty last-message-body or Tigase priority high
};

enum class UpstreamStatus {
  delivered,        // accepted by the upstream (APNs 200)
  token_dead,       // the token is gone for good (APNs 410 Unregistered, FCM UNREGISTERED)
  token_invalid,    // APNs BadDeviceToken/DeviceTokenNotForTopic: dead, or a sandbox/production mix-up
  rejected,         // our request or credentials were refused (other 400, 403, 413): fix config, keep token
  throttled,        // 429: back off
  unavailable,      // 5xx, connection failure, or provably not processed and not retried
  unknown,          // may or may not have been delivered (reset after the request was written)
};

struct UpstreamResult {
  UpstreamStatus status = UpstreamStatus::unknown;
  int http_status = 0;  // 0 when no HTTP response arrived
  std::string reason;   // upstream reason code, e.g. "Unregistered", or a short local cause
  std::optional<int64_t> dead_since_ms;  // APNs 410 'timestamp'
  // The upstream's id of this push, for tracing it in the service's records:
  // APNs the apns-id (Apple's echo, else the one sent); empty if nothing was sent.
  std::string upstream_id = {};
};

class Upstream {
 public:
  virtual ~Upstream() = default;
  // Sends one push. `done` is called exactly once, on the caller's event loop.
  virtual void send(const PushJob& job, std::function<void(UpstreamResult)> done) = 0;
  // Whether the token has a shape this service can ever accept (APNs: hex).
  virtual bool token_plausible(const std::string& token) const = 0;
};

const char* to_string(UpstreamStatus status);

}  // namespace herald::push
