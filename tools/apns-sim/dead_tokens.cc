#include "apns-sim/dead_tokens.h"


#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/encoding.h"

namespace herald::apns_sim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::unordered_map<std::string, int64_t> parse_dead_tokens(std::string_view text,
                                                           int64_t default_ms) {
  std::unordered_map<std::string, int64_t> tokens;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    size_t space = line.find_first_of(" \t");
    std::string_view token = line.substr(0, space);
    if (!is_hex(token)) continue;
    int64_t since = default_ms;
    if (space != std::string_view::npos) {
      std::string_view when = trim(line.substr(space));
      auto [ptr, ec] = std::from_chars(when.data(), when.data() + when.size(), since);
      if (ec != std::errc() || ptr != when.data() + when.size()) continue;
    }
    std::string key(token);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    tokens[key] = since;
  }
  return tokens;
}

void DeadTokens::reload_if_changed() {
  std::string text;
  int64_t written_ms = 0;
  switch (file_.poll(&text, &written_ms)) {
    case sim::WatchedFile::Change::none: return;
    case sim::WatchedFile::Change::gone: tokens_.clear(); return;
    // Tokens listed without a time died when the file was written.
    case sim::WatchedFile::Change::updated: tokens_ = parse_dead_tokens(text, written_ms); return;
  }
}

std::optional<int64_t> DeadTokens::dead_since(const std::string& token) {
  reload_if_changed();
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

}  // namespace herald::apns_sim
