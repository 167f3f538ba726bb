#include "push/apns/apns_response.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace herald::push::apns {

ApnsErrorBody parse_apns_error_body(std::string_view body) {
  ApnsErrorBody out;
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return out;
  if (auto it = json.find("reason"); it != json.end() && it->is_string()) {
    out.reason = it->get<std::string>();
  }
  if (auto it = json.find("timestamp"); it != json.end() && it->is_number()) {
    // Apple documents milliseconds since the epoch; some proxies send a float.
    // A float outside int64's range (1e19, inf) has no meaningful time: the
    // cast would be undefined behaviour, so it is treated as absent.
    if (it->is_number_integer()) {
      out.timestamp_ms = it->get<int64_t>();
    } else {
      double ms = it->get<double>();
      if (std::isfinite(ms) && ms >= -9.2e18 && ms <= 9.2e18) out.timestamp_ms = int64_t(ms);
    }
  }
  return out;
}

UpstreamResult classify_apns_response(int http_status, std::string_view reason,
                                      std::optional<int64_t> timestamp_ms) {
  UpstreamResult r;
  r.http_status = http_status;
  r.reason = std::string(reason);
  switch (http_status) {
    case 200:
      r.status = UpstreamStatus::delivered;
      break;
    case 410:
      // Apple sends 410 for Unregistered and, lately, ExpiredToken; either way
      // the token will never work again.
      r.status = UpstreamStatus::token_dead;
      r.dead_since_ms = timestamp_ms;
      if (r.reason.empty()) r.reason = "Unregistered";
      break;
    case 400:
      r.status = (reason == "BadDeviceToken" || reason == "DeviceTokenNotForTopic")
                     ? UpstreamStatus::token_invalid
                     : UpstreamStatus::rejected;
      break;
    case 403:
    case 404:
    case 405:
    case 413:
      r.status = UpstreamStatus::rejected;
      break;
    case 429:
      r.status = UpstreamStatus::throttled;
      break;
    case 500:
    case 503:
      r.status = UpstreamStatus::unavailable;
      break;
    default:
      // Undocumented codes: a 5xx is the server's trouble, anything else ours.
      r.status = http_status >= 500 ? UpstreamStatus::unavailable : UpstreamStatus::rejected;
      break;
  }
  return r;
}

bool is_expired_provider_token(int http_status, std::string_view reason) {
  return http_status == 403 && reason == "ExpiredProviderToken";
}

}  // namespace herald::push::apns
