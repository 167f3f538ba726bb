#include "apns-sim/simulator.h"

#include <optional>

#include "base/crypto.h"
#include "base/encoding.h"

namespace herald::apns_sim {

std::string new_apns_id() {
  std::string bytes = random_bytes(16);
  bytes[6] = char((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = char((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex = hex_encode(bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

Outcome Simulator::handle(const Request& request, ProviderAuth& auth, int64_t now_ms) {
  Outcome outcome;
  std::string id;
  outcome.apns_id = count_header(request, "apns-id", &id) > 0 && is_uuid(id) ? id : new_apns_id();
  outcome.verdict = decide(request, auth, now_ms, &outcome);
  return outcome;
}

Verdict Simulator::decide(const Request& request, ProviderAuth& auth, int64_t now_ms,
                          Outcome* outcome) {
  if (Verdict v = check_route(request, &outcome->token); !v.ok()) return v;
  if (Verdict v = check_duplicates(request); !v.ok()) return v;
  if (request.client_certificate) {
    // Certificate auth needs no authorization header; the certificate's
    // subject UID is the bundle id it may push to (and its .voip topic).
    if (request.certificate_uid.empty()) return Verdict::error(403, "BadCertificate");
    std::string topic;
    if (count_header(request, "apns-topic", &topic) > 0 && topic != request.certificate_uid &&
        topic != request.certificate_uid + ".voip") {
      return Verdict::error(400, "TopicDisallowed");
    }
  } else {
    std::string authorization;
    std::optional<std::string_view> presented;
    if (count_header(request, "authorization", &authorization) > 0) presented = authorization;
    if (Verdict v = auth.check(presented, now_ms / 1000); !v.ok()) return v;
  }
  if (Verdict v = check_notification(request, config_); !v.ok()) return v;
  if (auto it = behaviours_.find(outcome->token); it != behaviours_.end()) {
    const TokenBehaviour& b = it->second;
    outcome->delay_ms = b.delay_ms;
    if (b.dead_now) return Verdict{410, "Unregistered", now_ms};
    if (b.fault != FaultKind::kNone) {
      outcome->transport_fault = b.fault;
      return Verdict{0, "", {}};
    }
    if (b.verdict) return *b.verdict;
  }
  if (faults_ != nullptr) {
    FaultKind fault = faults_->pick(outcome->token);
    if (auto verdict = fault_verdict(fault)) return *verdict;
    if (fault != FaultKind::kNone) {
      outcome->transport_fault = fault;
      return Verdict{0, "", {}};  // no HTTP answer: the connection resets or goes away
    }
  }
  if (dead_tokens_ != nullptr) {
    if (auto since = dead_tokens_->dead_since(outcome->token)) {
      return Verdict{410, "Unregistered", *since};
    }
  }
  return Verdict::success();
}

}  // namespace herald::apns_sim
