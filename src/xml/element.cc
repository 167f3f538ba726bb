#include "xml/element.h"

#include <algorithm>

namespace herald::xml {

const std::string* Element::attr(std::string_view name) const {
  for (const auto& a : attributes_)
    if (a.ns.empty() && a.name == name) return &a.value;
  return nullptr;
}

std::string_view Element::attr_or(std::string_view name, std::string_view fallback) const {
  const std::string* v = attr(name);
  return v ? std::string_view(*v) : fallback;
}

Element& Element::set_attr(std::string name, std::string value) {
  for (auto& a : attributes_) {
    if (a.ns.empty() && a.name == name) {
      a.value = std::move(value);
      return *this;
    }
  }
  attributes_.push_back({std::move(name), std::move(value), {}});
  return *this;
}

void Element::remove_attr(std::string_view name) {
  std::erase_if(attributes_, [&](const Attribute& a) { return a.ns.empty() && a.name == name; });
}

Element& Element::add_child(Element child) {
  children_.push_back(std::move(child));
  return children_.back();
}

const Element* Element::child(std::string_view name, std::string_view ns) const {
  for (const auto& c : children_)
    if (c.is(name, ns)) return &c;
  return nullptr;
}

Element* Element::child(std::string_view name, std::string_view ns) {
  for (auto& c : children_)
    if (c.is(name, ns)) return &c;
  return nullptr;
}

void Element::rename_namespace(std::string_view from, std::string_view to) {
  if (ns_ == from) ns_.assign(to);
  for (Element& c : children_) c.rename_namespace(from, to);
}

void Element::append_text_after_children(std::string_view text) {
  if (text.empty()) return;
  size_t position = children_.size();
  std::vector<TextRun>& runs = runs_.make();
  if (runs.empty() && !text_.empty()) runs.push_back({0, text_.size()});
  text_.append(text);
  if (!runs.empty() && runs.back().position == position)
    runs.back().end = text_.size();
  else
    runs.push_back({position, text_.size()});
}

const std::vector<Element::TextRun>& Element::text_runs() const {
  static const std::vector<TextRun> kNone;
  return runs_.get() ? *runs_.get() : kNone;
}

std::string_view Element::text_before(size_t position) const {
  if (!has_mixed_content()) return position == 0 ? std::string_view(text_) : std::string_view();
  // Runs are in document order, so those at one position are contiguous
  // (runs past the last child, after children were removed, count as after it).
  size_t start = 0, from = 0, to = 0;
  bool found = false;
  for (const TextRun& run : *runs_.get()) {
    size_t end = std::min(run.end, text_.size());
    if (std::min(run.position, children_.size()) == position) {
      if (!found) from = start;
      to = end;
      found = true;
    }
    start = end;
  }
  return found ? std::string_view(text_).substr(from, to - from) : std::string_view();
}

}  // namespace herald::xml
