#include "push/apns/apns_request.h"

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>

#include "base/crypto.h"
#include "push/apns/http2_connection.h"

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

namespace {

// The payload depends only on the module's wake-up text and the push type,
// so it is serialized once and reused for as long as those stay the same:
// one entry per push type, on the (only) thread that builds requests. Keyed
// by content, not by address, so changed settings are never served stale.
const std::string& cached_payload(const ApnsModuleSettings& settings,
                                  ApnsModuleSettings::PushType type) {
  struct Entry {
    bool valid = false;
    std::string title, body, sound, extra;
    std::string payload;
  };
  thread_local std::array<Entry, 3> cache;
  Entry& e = cache[static_cast<size_t>(type)];
  if (!e.valid || e.title != settings.alert_title || e.body != settings.alert_body ||
      e.sound != settings.sound || e.extra != settings.extra_payload) {
    e.payload = apns_payload(settings, type);
    e.title = settings.alert_title;
    e.body = settings.alert_body;
    e.sound = settings.sound;
    e.extra = settings.extra_payload;
    e.valid = true;
  }
  return e.payload;
}

}  // namespace

ApnsRequest build_apns_request(const ApnsModuleSettings& settings, const PushJob& job,
                               std::string_view jwt, std::chrono::system_clock::time_point now) {
  using PushType = ApnsModuleSettings::PushType;
  ApnsRequest r;
  r.method = "POST";
  PushType type = effective_push_type(settings, job);
  r.path = "/3/device/" + job.token;
  r.body = cached_payload(settings, type);
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
  // Random bytes are drawn from OpenSSL in blocks: one RAND_bytes call per
  // request was most of this function's cost. An apns-id needs uniqueness,
  // not secrecy, and the block never leaves this thread.
  constexpr size_t kBlock = 16 * 64;
  thread_local std::string pool;
  thread_local size_t used = kBlock;
  if (used + 16 > pool.size()) {
    pool = random_bytes(kBlock);
    used = 0;
  }
  const unsigned char* b = reinterpret_cast<const unsigned char*>(pool.data() + used);
  used += 16;
  unsigned char u[16];
  for (size_t i = 0; i < 16; ++i) u[i] = b[i];
  u[6] = static_cast<unsigned char>((u[6] & 0x0f) | 0x40);  // version 4
  u[8] = static_cast<unsigned char>((u[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t o = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;  // the dashes
    out[o++] = kHex[u[i] >> 4];
    out[o++] = kHex[u[i] & 0x0f];
  }
  return out;
}

Http2Request to_http2(ApnsRequest request) {
  return Http2Request{std::move(request.method), std::move(request.path),
                      std::move(request.headers), std::move(request.body), {":path", "apns-id"}};
}

}  // namespace herald::push::apns
