// Test helper: builds xml::Element trees from fixture files with expat
// directly, so these tests do not depend on the stream parser. Fixture
// stanzas declare no namespace of their own (the stream header did), so
// the text is wrapped in <w xmlns='jabber:server'> before parsing.
#pragma once

#include <expat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "xml/element.h"

namespace herald::testing {

inline std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(HERALD_FIXTURES_DIR) + "/" + relative, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + relative);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

namespace detail {

struct TreeBuilder {
  std::vector<xml::Element> stack;
  std::vector<xml::Element> done;

  static void split(const char* qname, std::string* ns, std::string* local) {
    std::string q(qname);
    auto sep = q.find('\x01');
    if (sep == std::string::npos) {
      ns->clear();
      *local = q;
    } else {
      *ns = q.substr(0, sep);
      *local = q.substr(sep + 1);
    }
  }
  static void start(void* data, const char* name, const char** attrs) {
    auto* self = static_cast<TreeBuilder*>(data);
    std::string ns, local;
    split(name, &ns, &local);
    xml::Element e(local, ns);
    for (int i = 0; attrs[i]; i += 2) {
      std::string ans, alocal;
      split(attrs[i], &ans, &alocal);
      e.mutable_attributes().push_back({alocal, attrs[i + 1], ans});
    }
    self->stack.push_back(std::move(e));
  }
  static void end(void* data, const char*) {
    auto* self = static_cast<TreeBuilder*>(data);
    xml::Element e = std::move(self->stack.back());
    self->stack.pop_back();
    if (self->stack.empty())
      self->done.push_back(std::move(e));
    else
      self->stack.back().add_child(std::move(e));
  }
  static void text(void* data, const char* s, int len) {
    auto* self = static_cast<TreeBuilder*>(data);
    if (!self->stack.empty()) self->stack.back().append_text(std::string_view(s, len));
  }
};

}  // namespace detail

// Parses one stanza written in the stream's default namespace.
inline xml::Element parse_stanza(const std::string& text) {
  std::string doc = "<w xmlns='jabber:server'>" + text + "</w>";
  XML_Parser parser = XML_ParserCreateNS(nullptr, '\x01');
  detail::TreeBuilder builder;
  XML_SetUserData(parser, &builder);
  XML_SetElementHandler(parser, detail::TreeBuilder::start, detail::TreeBuilder::end);
  XML_SetCharacterDataHandler(parser, detail::TreeBuilder::text);
  bool ok = XML_Parse(parser, doc.data(), static_cast<int>(doc.size()), 1) == XML_STATUS_OK;
  XML_ParserFree(parser);
  if (!ok || builder.done.size() != 1 || builder.done[0].children().size() != 1)
    throw std::runtime_error("not one well-formed stanza");
  return builder.done[0].children()[0];
}

inline xml::Element load_stanza(const std::string& relative) {
  return parse_stanza(read_fixture(relative));
}

// Same tree: names, namespaces, attributes (in any order), text, children.
inline bool same_tree(const xml::Element& a, const xml::Element& b, std::string* why) {
  if (!a.is(b.name(), b.ns())) {
    *why = "element " + a.ns() + " " + a.name() + " vs " + b.ns() + " " + b.name();
    return false;
  }
  if (a.attributes().size() != b.attributes().size()) {
    *why = "attribute count of " + a.name();
    return false;
  }
  for (const auto& attr : a.attributes()) {
    const std::string* other = b.attr(attr.name);
    if (!attr.ns.empty() || !other || *other != attr.value) {
      *why = "attribute " + attr.name + " of " + a.name();
      return false;
    }
  }
  if (a.text() != b.text()) {
    *why = "text of " + a.name();
    return false;
  }
  if (a.children().size() != b.children().size()) {
    *why = "child count of " + a.name();
    return false;
  }
  for (size_t i = 0; i < a.children().size(); ++i)
    if (!same_tree(a.children()[i], b.children()[i], why)) return false;
  return true;
}

}  // namespace herald::testing
