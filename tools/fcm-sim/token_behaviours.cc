#include "fcm-sim/token_behaviours.h"


#include <cctype>
#include <sstream>

namespace herald::fcm_sim {
namespace {

struct Name {
  const char* text;
  Behaviour behaviour;
};
constexpr Name kNames[] = {
    {"ok", Behaviour::ok},
    {"UNREGISTERED", Behaviour::unregistered},
    {"INVALID_ARGUMENT", Behaviour::invalid_argument},
    {"SENDER_ID_MISMATCH", Behaviour::sender_id_mismatch},
    {"QUOTA_EXCEEDED", Behaviour::quota_exceeded},
    {"UNAVAILABLE", Behaviour::unavailable},
    {"INTERNAL", Behaviour::internal},
};

bool equal_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<Behaviour> parse_behaviour(std::string_view name) {
  for (const Name& n : kNames) {
    if (equal_nocase(name, n.text)) return n.behaviour;
  }
  return std::nullopt;
}

const char* to_string(Behaviour behaviour) {
  for (const Name& n : kNames) {
    if (n.behaviour == behaviour) return n.text;
  }
  return "ok";
}

std::map<std::string, Behaviour> parse_behaviour_lines(std::string_view text) {
  std::map<std::string, Behaviour> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string token, name, extra;
    if (!(words >> token) || token[0] == '#') continue;
    if (!(words >> name) || (words >> extra)) continue;
    if (auto behaviour = parse_behaviour(name)) out[token] = *behaviour;
  }
  return out;
}

void TokenBehaviours::reload_if_changed() {
  if (!file_) return;
  std::string text;
  int64_t written_ms = 0;
  switch (file_->poll(&text, &written_ms)) {
    case sim::WatchedFile::Change::none: return;
    case sim::WatchedFile::Change::gone: from_file_.clear(); return;
    case sim::WatchedFile::Change::updated: from_file_ = parse_behaviour_lines(text); return;
  }
}

Behaviour TokenBehaviours::lookup(const std::string& token) {
  reload_if_changed();
  if (auto it = from_file_.find(token); it != from_file_.end()) return it->second;
  if (auto it = fixed_.find(token); it != fixed_.end()) return it->second;
  return Behaviour::ok;
}

}  // namespace herald::fcm_sim
