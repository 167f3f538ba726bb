// Per-token behaviours for load and failure tests: what the simulator does
// with a valid, authenticated request to one device token. Spec grammar
// (command line --token TOKEN=SPEC, case-sensitive):
//   ok                 200 (also overrides --dead-tokens)
//   dead[@MS]          410 Unregistered with timestamp MS (default: now)
//   slow:N             200 after N milliseconds
//   429 | 500 | 503    TooManyRequests / InternalServerError / ServiceUnavailable
//   reset | refuse | goaway   transport faults (see fault_injector.h)
//   STATUS:Reason      any APNs answer, e.g. 400:BadDeviceToken,
//                      400:DeviceTokenNotForTopic, 403:ExpiredProviderToken
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "apns-sim/fault_injector.h"
#include "apns-sim/request.h"

namespace herald::apns_sim {

struct TokenBehaviour {
  std::optional<Verdict> verdict;  // the answer; nullopt: decide normally
  bool dead_now = false;           // 410 with the request's time as timestamp
  FaultKind fault = FaultKind::kNone;
  int64_t delay_ms = 0;  // answer this much later
};

// Parses "TOKEN=SPEC"; the token is returned lowercase. nullopt if malformed.
std::optional<std::pair<std::string, TokenBehaviour>> parse_token_behaviour(std::string_view text);

using TokenBehaviours = std::unordered_map<std::string, TokenBehaviour>;

}  // namespace herald::apns_sim
