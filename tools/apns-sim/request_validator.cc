#include "apns-sim/request_validator.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "base/encoding.h"

namespace herald::apns_sim {
namespace {

constexpr std::string_view kDevicePrefix = "/3/device/";

bool is_topic_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

Verdict check_topic(const Request& request, const ValidatorConfig& config,
                    std::string_view push_type) {
  std::string topic;
  if (count_header(request, "apns-topic", &topic) == 0) return Verdict::error(400, "MissingTopic");
  if (topic.empty() || !std::all_of(topic.begin(), topic.end(), is_topic_char)) {
    return Verdict::error(400, "BadTopic");
  }
  // A syntactically fine topic the team does not own reads to APNs as a token
  // issued for another app.
  if (!config.topics.contains(topic)) return Verdict::error(400, "DeviceTokenNotForTopic");
  // VoIP pushes go to the bundle id with ".voip" appended (Apple's
  // push-type table); the bare bundle id is another app's topic for VoIP.
  if (push_type == "voip" && !ends_with(topic, ".voip")) {
    return Verdict::error(400, "DeviceTokenNotForTopic");
  }
  return Verdict::success();
}

Verdict check_priority(const Request& request, std::string_view push_type) {
  std::string priority;
  bool present = count_header(request, "apns-priority", &priority) > 0;
  if (present && priority != "1" && priority != "5" && priority != "10") {
    return Verdict::error(400, "BadPriority");
  }
  // Apple: background pushes must use 5, and an absent header means 10.
  if (push_type == "background" && (!present || priority == "10")) {
    return Verdict::error(400, "BadPriority");
  }
  return Verdict::success();
}

Verdict check_expiration(const Request& request) {
  std::string expiration;
  if (count_header(request, "apns-expiration", &expiration) == 0) return Verdict::success();
  int64_t seconds = 0;
  const char* end = expiration.data() + expiration.size();
  auto [ptr, ec] = std::from_chars(expiration.data(), end, seconds);
  if (expiration.empty() || ec != std::errc() || ptr != end || seconds < 0) {
    return Verdict::error(400, "BadExpirationDate");
  }
  return Verdict::success();
}

Verdict check_payload(const Request& request, std::string_view push_type) {
  size_t limit = push_type == "voip" ? kMaxVoipPayload : kMaxPayload;
  if (request.body_size > limit) return Verdict::error(413, "PayloadTooLarge");
  if (request.body_size == 0) return Verdict::error(400, "PayloadEmpty");
  auto json = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  // Apple's reason list has no entry for malformed JSON; "BadPayload" is the
  // simulator's own, so a client must treat unknown 400 reasons as permanent.
  if (json.is_discarded() || !json.is_object()) return Verdict::error(400, "BadPayload");
  return Verdict::success();
}

}  // namespace

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position != (text[i] == '-')) return false;
    if (!dash_position && !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

bool is_known_push_type(std::string_view push_type) {
  static constexpr std::array<std::string_view, 11> kTypes = {
      "alert", "background",   "location",   "voip",    "complication", "fileprovider",
      "mdm",   "liveactivity", "pushtotalk", "widgets", "controls"};
  return std::find(kTypes.begin(), kTypes.end(), push_type) != kTypes.end();
}

Verdict check_route(const Request& request, std::string* token) {
  if (request.method != "POST") return Verdict::error(405, "MethodNotAllowed");
  std::string_view path = request.path;
  if (path.substr(0, kDevicePrefix.size()) != kDevicePrefix) return Verdict::error(404, "BadPath");
  std::string_view candidate = path.substr(kDevicePrefix.size());
  if (candidate.empty()) return Verdict::error(400, "MissingDeviceToken");
  if (candidate.size() < kMinTokenHexDigits || candidate.size() > kMaxTokenHexDigits ||
      candidate.size() % 2 != 0 || !is_hex(candidate)) {
    return Verdict::error(400, "BadDeviceToken");
  }
  token->assign(candidate);
  std::transform(token->begin(), token->end(), token->begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return Verdict::success();
}

Verdict check_duplicates(const Request& request) {
  for (size_t i = 0; i < request.headers.size(); ++i) {
    const std::string& name = request.headers[i].first;
    if (name.rfind("apns-", 0) != 0 && name != "authorization") continue;
    for (size_t j = i + 1; j < request.headers.size(); ++j) {
      if (request.headers[j].first == name) return Verdict::error(400, "DuplicateHeaders");
    }
  }
  return Verdict::success();
}

Verdict check_notification(const Request& request, const ValidatorConfig& config) {
  std::string push_type = "alert";  // Apple's behaviour when the header is absent
  if (count_header(request, "apns-push-type", &push_type) > 0 && !is_known_push_type(push_type)) {
    return Verdict::error(400, "InvalidPushType");
  }
  if (Verdict v = check_topic(request, config, push_type); !v.ok()) return v;
  if (Verdict v = check_priority(request, push_type); !v.ok()) return v;
  if (Verdict v = check_expiration(request); !v.ok()) return v;
  std::string id;
  if (count_header(request, "apns-id", &id) > 0 && !is_uuid(id)) {
    return Verdict::error(400, "BadMessageId");
  }
  std::string collapse_id;
  if (count_header(request, "apns-collapse-id", &collapse_id) > 0 &&
      collapse_id.size() > kMaxCollapseId) {
    return Verdict::error(400, "BadCollapseId");
  }
  return check_payload(request, push_type);
}

}  // namespace herald::apns_sim
