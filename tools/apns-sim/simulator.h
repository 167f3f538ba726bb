// Decides APNs' answer to one request. The order of the checks: route (405,
// 404, 400 token), duplicate headers, provider token (403/429), notification
// headers and payload (400/413), per-token behaviours, injected faults,
// dead tokens (410). Apple
// does not document its order; this one lets a test trigger each reason
// alone. Holds no network state: the connection passes its ProviderAuth.
#pragma once

#include <cstdint>
#include <string>

#include "apns-sim/dead_tokens.h"
#include "apns-sim/fault_injector.h"
#include "apns-sim/provider_auth.h"
#include "apns-sim/request.h"
#include "apns-sim/request_validator.h"
#include "apns-sim/token_behaviour.h"

namespace herald::apns_sim {

struct Outcome {
  Verdict verdict;
  std::string apns_id;  // the request's apns-id if it is a UUID, else a new one
  std::string token;    // lowercase device token; empty if the route was bad
  // kResetStream / kRefuseStream / kGoaway: the connection answers with that
  // event instead of an HTTP response, and verdict.status is 0.
  FaultKind transport_fault = FaultKind::kNone;
  int64_t delay_ms = 0;  // answer this much later (TokenBehaviour slow:N)
};

// A random (version 4) UUID in lowercase canonical form.
std::string new_apns_id();

class Simulator {
 public:
  // `dead_tokens` and `faults` may be null.
  Simulator(ValidatorConfig config, DeadTokens* dead_tokens, FaultInjector* faults)
      : config_(std::move(config)), dead_tokens_(dead_tokens), faults_(faults) {}

  Outcome handle(const Request& request, ProviderAuth& auth, int64_t now_ms);
  // Per-token behaviours, applied after authentication and validation and
  // before injected faults and dead tokens. Replaces earlier ones.
  void set_token_behaviours(TokenBehaviours behaviours) { behaviours_ = std::move(behaviours); }

 private:
  Verdict decide(const Request& request, ProviderAuth& auth, int64_t now_ms, Outcome* outcome);

  ValidatorConfig config_;
  DeadTokens* dead_tokens_;
  FaultInjector* faults_;
  TokenBehaviours behaviours_;
};

}  // namespace herald::apns_sim
