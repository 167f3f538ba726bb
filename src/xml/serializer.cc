#include "xml/serializer.h"

#include <algorithm>

namespace herald::xml {
namespace {

constexpr std::string_view kXmlNs = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view kXmlnsNs = "http://www.w3.org/2000/xmlns/";

// Characters XML 1.0 does not allow at all (C0 controls other than tab, LF
// and CR). A peer would end the stream over them, so they are dropped.
bool is_forbidden_control(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u < 0x20 && u != '\t' && u != '\n' && u != '\r';
}

// What to write instead of c, or nullptr to write c itself.
const char* replacement(char c, bool attribute) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    // A receiver normalises CR (and in attributes, tab and LF) away;
    // character references keep them.
    case '\r':
      return "&#13;";
    case '"':
      return attribute ? "&quot;" : nullptr;
    case '\'':
      return attribute ? "&apos;" : nullptr;
    case '\t':
      return attribute ? "&#9;" : nullptr;
    case '\n':
      return attribute ? "&#10;" : nullptr;
    default:
      return is_forbidden_control(c) ? "" : nullptr;
  }
}

void append_escaped(std::string& out, std::string_view s, bool attribute) {
  size_t plain = 0;  // start of the run not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const char* rep = replacement(s[i], attribute);
    if (!rep) continue;
    out.append(s.substr(plain, i - plain));
    out.append(rep);
    plain = i + 1;
  }
  out.append(s.substr(plain));
}

void append_attribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out.append(name);
  out += "='";
  append_escaped(out, value, true);
  out += '\'';
}

void write(std::string& out, const Element& e, std::string_view parent_ns) {
  out += '<';
  out += e.name();
  if (e.ns() != parent_ns) append_attribute(out, "xmlns", e.ns());
  int prefixes = 0;
  for (const Attribute& a : e.attributes()) {
    if (a.ns.empty()) {
      append_attribute(out, a.name, a.value);
    } else if (a.ns == kXmlNs) {
      append_attribute(out, "xml:" + a.name, a.value);
    } else if (a.ns == kXmlnsNs) {
      append_attribute(out, "xmlns:" + a.name, a.value);
    } else {
      // Declared on this element only; simple and always correct.
      std::string prefix = "ns" + std::to_string(++prefixes);
      append_attribute(out, "xmlns:" + prefix, a.ns);
      append_attribute(out, prefix + ":" + a.name, a.value);
    }
  }
  if (e.children().empty() && e.text().empty()) {
    out += "/>";
    return;
  }
  out += '>';
  const auto& children = e.children();
  if (!e.has_mixed_content()) {
    append_escaped(out, e.text(), false);
    for (const Element& child : children) write(out, child, e.ns());
  } else {
    // Text and children interleaved as they came (element.h).
    std::string_view text = e.text();
    size_t start = 0, next = 0;
    for (const Element::TextRun& run : e.text_runs()) {
      size_t at = std::min(run.position, children.size());
      while (next < at) write(out, children[next++], e.ns());
      size_t end = std::min(run.end, text.size());
      append_escaped(out, text.substr(start, end - start), false);
      start = end;
    }
    while (next < children.size()) write(out, children[next++], e.ns());
    append_escaped(out, text.substr(std::min(start, text.size())), false);
  }
  out += "</";
  out += e.name();
  out += '>';
}

}  // namespace

std::string serialize(const Element& element, std::string_view stream_ns) {
  std::string out;
  serialize_to(out, element, stream_ns);
  return out;
}

void serialize_to(std::string& out, const Element& element, std::string_view stream_ns) {
  write(out, element, stream_ns);
}

std::string escape_text(std::string_view text) {
  std::string out;
  append_escaped(out, text, false);
  return out;
}

std::string escape_attribute(std::string_view value) {
  std::string out;
  append_escaped(out, value, true);
  return out;
}

}  // namespace herald::xml
