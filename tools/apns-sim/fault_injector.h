// Failures the simulator injects into requests that are otherwise valid:
// always for chosen device tokens, or at random for a fraction of requests.
// A fault is either an HTTP answer (429 TooManyRequests, 500
// InternalServerError, 503 ServiceUnavailable) or a transport event the
// connection carries out (RST_STREAM, GOAWAY), so new kinds need only a new
// enum value and a branch in the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "apns-sim/request.h"

namespace herald::apns_sim {

enum class FaultKind {
  kNone,
  kTooManyRequests,  // 429 TooManyRequests
  kInternalError,    // 500 InternalServerError
  kUnavailable,      // 503 ServiceUnavailable
  kResetStream,      // RST_STREAM INTERNAL_ERROR: outcome unknown to the client
  kRefuseStream,     // RST_STREAM REFUSED_STREAM: provably not processed
  kGoaway,           // GOAWAY excluding this stream, then close the connection
};

// "429", "500", "503", "reset", "refuse", "goaway".
std::optional<FaultKind> parse_fault_kind(std::string_view text);
std::string_view fault_name(FaultKind kind);
// The HTTP answer for the status kinds; nullopt for transport kinds.
std::optional<Verdict> fault_verdict(FaultKind kind);

class FaultInjector {
 public:
  explicit FaultInjector(uint64_t seed) : rng_(seed) {}

  void add_token_fault(std::string token, FaultKind kind);  // token: lowercase hex
  // Each request independently gets `kind` with probability `fraction`;
  // fractions of several kinds add up (their sum should stay <= 1).
  void add_rate(FaultKind kind, double fraction);
  bool empty() const { return tokens_.empty() && rates_.empty(); }

  FaultKind pick(const std::string& token);

 private:
  std::unordered_map<std::string, FaultKind> tokens_;
  std::vector<std::pair<FaultKind, double>> rates_;
  std::mt19937_64 rng_;
};

}  // namespace herald::apns_sim
