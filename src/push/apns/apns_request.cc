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

ApnsModuleSettings::PushType effective_push_type(const ApnsModuleSettings& settings,
                                                 const PushJob& job) {
  using PushType = ApnsModuleSettings::PushType;
  if (settings.push_type == PushType::background && job.important) return PushType::alert;
  return settings.push_type;
}

std::string apns_payload(const ApnsModuleSettings& settings) {
  return apns_payload(settings, settings.push_type);
}

std::string apns_payload(const ApnsModuleSettings& settings, ApnsModuleSettings::PushType type) {
  nlohmann::json payload = nlohmann::json::object();
  if (!settings.extra_payload.empty()) {
    // Checked by check_apns_settings(): an object without "aps".
    nlohmann::json extra = nlohmann::json::parse(settings.extra_payload, nullptr, false);
    if (extra.is_object()) payload = std::move(extra);
  }
  nlohmann::json aps;
  if (type == ApnsModuleSettings::PushType::background) {
    aps["content-available"] = 1;
  } else {
    // VoIP pushes carry the same wake-up alert; the app hands them to CallKit.
    aps["alert"] = {{"title", settings.alert_title}, {"body", settings.alert_body}};
    aps["mutable-content"] = 1;
    if (!settings.sound.empty()) aps["sound"] = settings.sound;
  }
  payload["aps"] = std::move(aps);
  return payload.dump();
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
  if (!settings.extra_payload.empty()) {
    nlohmann::json extra = nlohmann::json::parse(settings.extra_payload, nullptr, false);
    if (!extra.is_object()) return "APNs extra payload is not a JSON object";
    if (extra.contains("aps")) return "APNs extra payload must not set \"aps\" (Herald builds it)";
  }
  using PushType = ApnsModuleSettings::PushType;
  std::vector<PushType> types = {settings.push_type};
  if (settings.push_type == PushType::background) types.push_back(PushType::alert);
  for (PushType type : types) {
    size_t size = apns_payload(settings, type).size();
    if (size > apns_payload_limit(type)) {
      return std::string("APNs ") + to_string(type) + " payload is " + std::to_string(size) +
             " bytes, over Apple's limit of " + std::to_string(apns_payload_limit(type));
    }
  }
  return {};
}

ApnsRequest build_apns_request(const ApnsModuleSettings& settings, const PushJob& job,
                               std::string_view jwt, std::chrono::system_clock::time_point now) {
  using PushType = ApnsModuleSettings::PushType;
  ApnsRequest r;
  r.method = "POST";
  PushType type = effective_push_type(settings, job);
  r.path = "/3/device/" + job.token;
  r.body = apns_payload(settings, type);
  r.apns_id = random_uuid();
  int64_t expires = std::chrono::duration_cast<std::chrono::seconds>(
                        (now + settings.expiration).time_since_epoch())
                        .count();
  std::string topic = settings.topic;
  if (type == PushType::voip) topic += ".voip";
  r.headers = {
      {"apns-topic", topic},
      {"apns-push-type", to_string(type)},
      {"apns-priority", type == PushType::background ? "5" : "10"},
      {"apns-expiration", std::to_string(expires)},
      {"apns-id", r.apns_id},
      {"content-type", "application/json"},
  };
  if (!jwt.empty()) r.headers.emplace_back("authorization", "bearer " + std::string(jwt));
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
