#include "apps/herald/status/metered_upstream.h"

#include <array>
#include <string_view>

namespace herald::app::status {
namespace {

// Apple's reason codes (APNs provider API) and FCM v1's error codes and
// statuses: a fixed vocabulary, safe as label values.
constexpr std::array<std::string_view, 45> kKnownReasons{
    "BadCollapseId", "BadDeviceToken", "BadExpirationDate", "BadMessageId", "BadPriority",
    "BadTopic", "DeviceTokenNotForTopic", "DuplicateHeaders", "IdleTimeout", "InvalidPushType",
    "MissingDeviceToken", "MissingTopic", "PayloadEmpty", "TopicDisallowed", "BadCertificate",
    "BadCertificateEnvironment", "ExpiredProviderToken", "Forbidden", "InvalidProviderToken",
    "MissingProviderToken", "UnrelatedKeyIdInToken", "BadEnvironmentKeyInToken", "BadPath",
    "MethodNotAllowed", "ExpiredToken", "Unregistered", "PayloadTooLarge",
    "TooManyProviderTokenUpdates", "TooManyRequests", "InternalServerError", "ServiceUnavailable",
    "Shutdown",
    // FCM
    "UNSPECIFIED_ERROR", "INVALID_ARGUMENT", "UNREGISTERED", "SENDER_ID_MISMATCH",
    "QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL", "THIRD_PARTY_AUTH_ERROR", "NOT_FOUND",
    "PERMISSION_DENIED", "UNAUTHENTICATED", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"};

const char* result_label(push::UpstreamStatus s) {
  switch (s) {
    case push::UpstreamStatus::delivered: return "delivered";
    case push::UpstreamStatus::token_dead: return "token_dead";
    case push::UpstreamStatus::token_invalid: return "token_invalid";
    case push::UpstreamStatus::rejected: return "rejected";
    case push::UpstreamStatus::throttled: return "throttled";
    case push::UpstreamStatus::unavailable: return "unavailable";
    case push::UpstreamStatus::unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace

std::string reason_label(const push::UpstreamResult& r) {
  if (r.status == push::UpstreamStatus::delivered) return "none";
  for (auto known : kKnownReasons)
    if (r.reason == known) return std::string(known);
  if (r.http_status == 0) return "connection";
  return "other";
}

MeteredUpstream::MeteredUpstream(std::shared_ptr<push::Upstream> inner, std::string module,
                                 std::string service, metrics::Registry& registry,
                                 MinuteRing& ring)
    : inner_(std::move(inner)),
      registry_(registry),
      ring_(ring),
      state_(std::make_shared<UpstreamState>()) {
  state_->module = std::move(module);
  state_->service = std::move(service);
  // Series exist from the start, so dashboards and alerts see zeros, not gaps.
  registry_.counter("herald_pushes", "Pushes sent to an upstream, by module, result and reason code.",
                    {"module", "result", "reason"}, {state_->module, "delivered", "none"});
  registry_.histogram("herald_upstream_request_seconds",
                      "Upstream (APNs/FCM) request latency, retries included.",
                      metrics::latency_buckets(), {"module"}, {state_->module});
}

void MeteredUpstream::send(const push::PushJob& job,
                           std::function<void(push::UpstreamResult)> done) {
  auto started = std::chrono::steady_clock::now();
  ++state_->in_flight;
  ++state_->sent;
  // The registry and ring belong to the Observability that owns this
  // upstream's wrapper and outlives the event loop's last callback.
  inner_->send(job, [state = state_, &registry = registry_, &ring = ring_, started,
                     done = std::move(done)](push::UpstreamResult result) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto now = std::chrono::system_clock::now();
    --state->in_flight;
    state->last_answer = now;
    std::string reason = reason_label(result);
    registry
        .counter("herald_pushes", "Pushes sent to an upstream, by module, result and reason code.",
                 {"module", "result", "reason"},
                 {state->module, result_label(result.status), reason})
        .inc();
    registry
        .histogram("herald_upstream_request_seconds",
                   "Upstream (APNs/FCM) request latency, retries included.",
                   metrics::latency_buckets(), {"module"}, {state->module})
        .observe(seconds);
    ring.push_sent(now, result.status == push::UpstreamStatus::delivered, reason);
    ring.upstream_latency(now, seconds);
    state->backoff.record_module(result, std::chrono::steady_clock::now());
    switch (result.status) {
      case push::UpstreamStatus::delivered:
        ++state->delivered;
        [[fallthrough]];
      case push::UpstreamStatus::token_dead:
      case push::UpstreamStatus::token_invalid:
        state->state = "ok";
        state->ready = true;
        state->reason.clear();
        break;
      case push::UpstreamStatus::throttled:
        state->state = "throttled";
        state->ready = true;
        state->reason = reason;
        break;
      case push::UpstreamStatus::rejected:
        state->state = "refused";
        state->ready = false;
        state->reason = reason;
        break;
      case push::UpstreamStatus::unavailable:
      case push::UpstreamStatus::unknown:
        // No answer at all: the service cannot be reached. A 5xx is an
        // answer about one request, until the back-off would pause.
        if (result.http_status == 0 || state->backoff.module_failing()) {
          state->state = "unreachable";
          state->ready = false;
          state->reason = reason;
        }
        break;
    }
    done(std::move(result));
  });
}

}  // namespace herald::app::status
