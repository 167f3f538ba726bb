#include "push/apns/apns_request.h"

#include <nlohmann/json.hpp>

#include "base/crypto.h"
#include "base/encoding.h"

namespace herald::push::apns {

const char* to_string(ApnsModuleSettings::PushType type) {
  switch (type) {
    case ApnsModuleSettings::PushType::alert:
      return "alert";
    case ApnsModuleSettings::PushType::background:
      return "background";
    case ApnsModuleSettings::PushType::voip:
      return "voip";
  }
  return "alert";
}

size_t apns_payload_limit(ApnsModuleSettings::PushType type) {
  return type == ApnsModuleSettings::PushType::voip ? 5120 : 4096;
}

std::string apns_payload(const ApnsModuleSettings& settings) {
  nlohmann::json aps;
  if (settings.push_type == ApnsModuleSettings::PushType::background) {
    aps["content-available"] = 1;
  } else {
    // VoIP pushes carry the same wake-up alert; the app hands them to CallKit.
    aps["alert"] = {{"title", settings.alert_title}, {"body", settings.alert_body}};
    aps["mutable-content"] = 1;
    if (!settings.sound.empty()) aps["sound"] = settings.sound;
  }
  return nlohmann::json{{"aps", aps}}.dump();
}

std::string check_apns_settings(const ApnsModuleSettings& settings) {
  if (settings.topic.empty()) return "APNs topic (bundle id) is empty";
  if (settings.host.empty()) return "APNs host is empty";
  if (settings.port == 0) return "APNs port is 0";
  if (settings.expiration.count() < 0) return "APNs expiration is negative";
  if (settings.request_timeout.count() <= 0) return "APNs request timeout must be positive";
  if (settings.collapse_id && settings.collapse_id->size() > 64) {
    return "APNs collapse id is longer than 64 bytes";
  }
  size_t size = apns_payload(settings).size();
  if (size > apns_payload_limit(settings.push_type)) {
    return "APNs payload is " + std::to_string(size) + " bytes, over the limit of " +
           std::to_string(apns_payload_limit(settings.push_type));
  }
  return {};
}

ApnsRequest build_apns_request(const ApnsModuleSettings& settings, const PushJob& job,
                               std::string_view jwt, std::chrono::system_clock::time_point now) {
  using PushType = ApnsModuleSettings::PushType;
  ApnsRequest r;
  r.method = "POST";
  r.path = "/3/device/" + job.token;
  r.body = apns_payload(settings);
  r.apns_id = random_uuid();
  int64_t expires = std::chrono::duration_cast<std::chrono::seconds>(
                        (now + settings.expiration).time_since_epoch())
                        .count();
  std::string topic = settings.topic;
  if (settings.push_type == PushType::voip) topic += ".voip";
  r.headers = {
      {"apns-topic", topic},
      {"apns-push-type", to_string(settings.push_type)},
      {"apns-priority", settings.push_type == PushType::background ? "5" : "10"},
      {"apns-expiration", std::to_string(expires)},
      {"apns-id", r.apns_id},
      {"authorization", "bearer " + std::string(jwt)},
      {"content-type", "application/json"},
  };
  if (settings.collapse_id) r.headers.emplace_back("apns-collapse-id", *settings.collapse_id);
  return r;
}

bool plausible_apns_token(std::string_view token) {
  if (token.empty() || token.size() % 2 != 0 || token.size() > 200) return false;
  for (char c : token) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

std::string random_uuid() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string h = hex_encode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace herald::push::apns
