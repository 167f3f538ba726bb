#include "apns-sim/token_behaviour.h"

#include <charconv>

#include "base/encoding.h"

namespace herald::apns_sim {
namespace {

std::optional<int64_t> parse_number(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::pair<std::string, TokenBehaviour>> parse_token_behaviour(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  std::string token(text.substr(0, eq));
  if (!is_hex(token)) return std::nullopt;
  for (char& c : token) c = char(std::tolower(static_cast<unsigned char>(c)));
  std::string_view spec = text.substr(eq + 1);
  TokenBehaviour b;
  if (spec == "ok") {
    b.verdict = Verdict::success();
  } else if (spec == "dead") {
    b.dead_now = true;
  } else if (spec.starts_with("dead@")) {
    auto ms = parse_number(spec.substr(5));
    if (!ms) return std::nullopt;
    b.verdict = Verdict{410, "Unregistered", *ms};
  } else if (spec.starts_with("slow:")) {
    auto ms = parse_number(spec.substr(5));
    if (!ms) return std::nullopt;
    b.verdict = Verdict::success();
    b.delay_ms = *ms;
  } else if (auto kind = parse_fault_kind(spec)) {
    if (auto verdict = fault_verdict(*kind)) {
      b.verdict = *verdict;
    } else {
      b.fault = *kind;
    }
  } else if (size_t colon = spec.find(':'); colon != std::string_view::npos) {
    auto status = parse_number(spec.substr(0, colon));
    std::string_view reason = spec.substr(colon + 1);
    if (!status || *status < 200 || *status > 599 || reason.empty()) return std::nullopt;
    b.verdict = Verdict::error(int(*status), std::string(reason));
  } else {
    return std::nullopt;
  }
  return std::pair{std::move(token), std::move(b)};
}

}  // namespace herald::apns_sim
