#include "apns-sim/request.h"

#include <nlohmann/json.hpp>

namespace herald::apns_sim {

size_t count_header(const Request& request, std::string_view name, std::string* value) {
  size_t count = 0;
  for (const auto& [header_name, header_value] : request.headers) {
    if (header_name != name) continue;
    if (count == 0 && value != nullptr) *value = header_value;
    ++count;
  }
  return count;
}

std::string error_body(const Verdict& verdict) {
  if (verdict.ok()) return {};
  nlohmann::json body = {{"reason", verdict.reason}};
  if (verdict.timestamp_ms) body["timestamp"] = *verdict.timestamp_ms;
  return body.dump();
}

}  // namespace herald::apns_sim
