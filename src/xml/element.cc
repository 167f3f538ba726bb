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

}  // namespace herald::xml
