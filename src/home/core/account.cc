#include "home/core/account.h"

#include <charconv>
#include <string_view>

namespace herald::home::core {

std::vector<const Resource*> Account::top_resources() const {
  std::vector<const Resource*> top;
  for (const auto& [name, r] : resources) {
    if (!r.available || r.priority < 0) continue;
    if (!top.empty() && r.priority < top.front()->priority) continue;
    if (!top.empty() && r.priority > top.front()->priority) top.clear();
    top.push_back(&r);
  }
  return top;
}

std::vector<const Resource*> Account::available_resources(bool non_negative_only) const {
  std::vector<const Resource*> out;
  for (const auto& [name, r] : resources)
    if (r.available && (!non_negative_only || r.priority >= 0)) out.push_back(&r);
  return out;
}

int presence_priority(const xml::Element& presence) {
  const xml::Element* p = presence.child("priority", presence.ns());
  if (!p) return 0;
  std::string_view text = p->text();
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\t'))
    text.remove_suffix(1);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < -128 || value > 127) return 0;
  return value;
}

}  // namespace herald::home::core
