#include "push/fcm/fcm_response.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace herald::push::fcm {

FcmError parse_fcm_error(std::string_view body) {
  FcmError out;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  auto error = j.find("error");
  if (error == j.end() || !error->is_object()) return out;
  if (auto s = error->find("status"); s != error->end() && s->is_string()) out.status = *s;
  auto details = error->find("details");
  if (details == error->end() || !details->is_array()) return out;
  for (const auto& d : *details) {
    if (!d.is_object()) continue;
    auto type = d.find("@type");
    auto code = d.find("errorCode");
    if (type != d.end() && type->is_string() &&
        type->get<std::string>() == "type.googleapis.com/google.firebase.fcm.v1.FcmError" &&
        code != d.end() && code->is_string()) {
      out.error_code = *code;
      break;
    }
  }
  return out;
}

std::string parse_fcm_message_name(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return {};
  auto name = j.find("name");
  if (name == j.end() || !name->is_string()) return {};
  return name->get<std::string>();
}

UpstreamResult classify_fcm_response(int http_status, const FcmError& error) {
  UpstreamResult r;
  r.http_status = http_status;
  r.reason = !error.error_code.empty() ? error.error_code : error.status;
  const std::string& code = error.error_code;
  if (http_status == 200) {
    r.status = UpstreamStatus::delivered;
    r.reason.clear();
  } else if (code == "UNREGISTERED") {
    r.status = UpstreamStatus::token_dead;
  } else if (code == "INVALID_ARGUMENT" || code == "SENDER_ID_MISMATCH") {
    r.status = UpstreamStatus::token_invalid;
  } else if (code == "QUOTA_EXCEEDED" || http_status == 429) {
    r.status = UpstreamStatus::throttled;
  } else if (code == "UNAVAILABLE" || code == "INTERNAL" || http_status >= 500) {
    r.status = UpstreamStatus::unavailable;
  } else {
    r.status = UpstreamStatus::rejected;
  }
  if (r.status != UpstreamStatus::delivered && r.reason.empty()) {
    r.reason = "HTTP " + std::to_string(http_status);
  }
  return r;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds);
}

}  // namespace herald::push::fcm
