#include "apns-sim/fault_injector.h"

namespace herald::apns_sim {

std::optional<FaultKind> parse_fault_kind(std::string_view text) {
  if (text == "429") return FaultKind::kTooManyRequests;
  if (text == "500") return FaultKind::kInternalError;
  if (text == "503") return FaultKind::kUnavailable;
  if (text == "reset") return FaultKind::kResetStream;
  if (text == "refuse") return FaultKind::kRefuseStream;
  if (text == "goaway") return FaultKind::kGoaway;
  return std::nullopt;
}

std::string_view fault_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kNone:
      return "none";
    case FaultKind::kTooManyRequests:
      return "429";
    case FaultKind::kInternalError:
      return "500";
    case FaultKind::kUnavailable:
      return "503";
    case FaultKind::kResetStream:
      return "reset";
    case FaultKind::kRefuseStream:
      return "refuse";
    case FaultKind::kGoaway:
      return "goaway";
  }
  return "none";
}

std::optional<Verdict> fault_verdict(FaultKind kind) {
  switch (kind) {
    case FaultKind::kTooManyRequests:
      return Verdict::error(429, "TooManyRequests");
    case FaultKind::kInternalError:
      return Verdict::error(500, "InternalServerError");
    case FaultKind::kUnavailable:
      return Verdict::error(503, "ServiceUnavailable");
    default:
      return std::nullopt;
  }
}

void FaultInjector::add_token_fault(std::string token, FaultKind kind) {
  tokens_[std::move(token)] = kind;
}

void FaultInjector::add_rate(FaultKind kind, double fraction) {
  rates_.emplace_back(kind, fraction);
}

FaultKind FaultInjector::pick(const std::string& token) {
  if (auto it = tokens_.find(token); it != tokens_.end()) return it->second;
  if (rates_.empty()) return FaultKind::kNone;
  double draw = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  for (const auto& [kind, fraction] : rates_) {
    if (draw < fraction) return kind;
    draw -= fraction;
  }
  return FaultKind::kNone;
}

}  // namespace herald::apns_sim
