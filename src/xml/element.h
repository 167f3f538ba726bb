// An XML element as XMPP uses it: a namespaced name, attributes, child
// elements and character data. Namespaces are resolved: every element knows
// its own namespace URI, whatever prefix or default declaration carried it.
//
// Mixed content keeps its document order: text() is all of an element's
// character data concatenated (what most callers want: a <body>'s text),
// and the element also remembers where each run of that text sits among its
// children, so <p>a <b>b</b> c</p> serializes back as it came. The common
// cases (text only, or text before any child) cost nothing extra: positions
// are recorded only once text follows a child.
#pragma once

#include <memory>
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
  // Moves this element and every descendant in namespace `from` to `to`,
  // in place (a stream's default namespace: jabber:client or
  // jabber:component:accept stanzas become jabber:server ones).
  void rename_namespace(std::string_view from, std::string_view to);

  // All character data, concatenated in document order.
  const std::string& text() const { return text_; }
  // Replaces all character data with `text`, placed before any child.
  Element& set_text(std::string text) {
    text_ = std::move(text);
    runs_.reset();
    return *this;
  }
  // Adds character data at the current end of the content (after the last
  // child so far): building in document order keeps document order.
  void append_text(std::string_view text) {
    if (children_.empty() && !runs_.get())
      text_.append(text);
    else
      append_text_after_children(text);
  }
  // The character data just before child `position` (position ==
  // children().size(): after the last child). Positions are child indices:
  // a caller that inserts or removes children through mutable_children()
  // keeps the text at the same indices.
  std::string_view text_before(size_t position) const;
  // Where the text sits: run i is text()[runs[i-1].end, runs[i].end),
  // placed before child `position`. Empty when all text comes before the
  // first child (no mixed content to keep).
  struct TextRun {
    size_t position;
    size_t end;
  };
  const std::vector<TextRun>& text_runs() const;
  bool has_mixed_content() const { return runs_.get() && !runs_.get()->empty(); }

 private:
  void append_text_after_children(std::string_view text);

  std::string name_;
  std::string ns_;
  std::vector<Attribute> attributes_;
  std::vector<Element> children_;
  std::string text_;
  // Allocated only for mixed content: an element stays small to move and
  // copy on the push path, where payloads never mix.
  class Runs {
   public:
    Runs() = default;
    Runs(const Runs& o) : v_(o.v_ ? std::make_unique<std::vector<TextRun>>(*o.v_) : nullptr) {}
    Runs(Runs&&) noexcept = default;
    Runs& operator=(const Runs& o) {
      if (this != &o) v_ = o.v_ ? std::make_unique<std::vector<TextRun>>(*o.v_) : nullptr;
      return *this;
    }
    Runs& operator=(Runs&&) noexcept = default;
    std::vector<TextRun>* get() const { return v_.get(); }
    std::vector<TextRun>& make() {
      if (!v_) v_ = std::make_unique<std::vector<TextRun>>();
      return *v_;
    }
    void reset() { v_.reset(); }

   private:
    std::unique_ptr<std::vector<TextRun>> v_;
  };
  Runs runs_;
};

}  // namespace herald::xml
