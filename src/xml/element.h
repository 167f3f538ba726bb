// An XML element as XMPP uses it: a namespaced name, attributes, child
// elements and character data. Namespaces are resolved: every element knows
// its own namespace URI, whatever prefix or default declaration carried it.
//
// Text is kept per element as one string (character data concatenated in
// document order). XMPP payloads never mix text and child elements in a way
// where their interleaving matters, and this keeps the tree plain.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace herald::xml {

struct Attribute {
  // Unprefixed attributes have an empty ns. The xml: prefix maps to
  // "http://www.w3.org/XML/1998/namespace" (e.g. xml:lang).
  std::string name;
  std::string value;
  std::string ns;
};

class Element {
 public:
  Element() = default;
  Element(std::string name, std::string ns) : name_(std::move(name)), ns_(std::move(ns)) {}

  const std::string& name() const { return name_; }
  const std::string& ns() const { return ns_; }
  bool is(std::string_view name, std::string_view ns) const { return name_ == name && ns_ == ns; }

  // Unprefixed attribute lookup; nullptr when absent.
  const std::string* attr(std::string_view name) const;
  std::string_view attr_or(std::string_view name, std::string_view fallback = {}) const;
  // Sets (or replaces) an unprefixed attribute. Returns *this for chaining.
  Element& set_attr(std::string name, std::string value);
  void remove_attr(std::string_view name);
  const std::vector<Attribute>& attributes() const { return attributes_; }
  std::vector<Attribute>& mutable_attributes() { return attributes_; }

  const std::vector<Element>& children() const { return children_; }
  std::vector<Element>& mutable_children() { return children_; }
  Element& add_child(Element child);
  Element& add_child(std::string name, std::string ns) { return add_child(Element(std::move(name), std::move(ns))); }
  // First child with this name and namespace; nullptr when absent.
  const Element* child(std::string_view name, std::string_view ns) const;
  Element* child(std::string_view name, std::string_view ns);

  const std::string& text() const { return text_; }
  Element& set_text(std::string text) { text_ = std::move(text); return *this; }
  void append_text(std::string_view text) { text_.append(text); }

 private:
  std::string name_;
  std::string ns_;
  std::vector<Attribute> attributes_;
  std::vector<Element> children_;
  std::string text_;
};

}  // namespace herald::xml
