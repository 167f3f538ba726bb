#include "push/fcm/fcm_message.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace herald::push::fcm {

std::string fcm_send_path(std::string_view project_id) {
  return "/v1/projects/" + std::string(project_id) + "/messages:send";
}

std::string fcm_message_body(std::string_view token) {
  nlohmann::json message = {
      {"message",
       {{"token", std::string(token)},
        {"android", {{"priority", "high"}}},
        {"data", {{"type", "wake-up"}}}}}};
  return message.dump();
}

bool plausible_fcm_token(std::string_view token) {
  if (token.empty() || token.size() > 4096) return false;
  for (char c : token) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

std::optional<HttpsUrl> parse_https_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  HttpsUrl out;
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  size_t colon = authority.rfind(':');
  bool bracketed = !authority.empty() && authority.front() == '[';
  if (colon != std::string_view::npos && (!bracketed || authority[colon - 1] == ']')) {
    std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<uint16_t>(value);
    authority = authority.substr(0, colon);
  }
  if (bracketed) {
    if (authority.size() < 3 || authority.back() != ']') return std::nullopt;
    authority = authority.substr(1, authority.size() - 2);
  }
  if (authority.empty()) return std::nullopt;
  out.host = std::string(authority);
  return out;
}

}  // namespace herald::push::fcm
