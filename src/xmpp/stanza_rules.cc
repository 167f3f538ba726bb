#include "xmpp/stanza_rules.h"

#include <charconv>

namespace herald::xmpp {

StanzaVerdict check_stanza(const xml::Element& stanza) {
  if (stanza.name() != "iq") return {};
  const std::string* id = stanza.attr("id");
  if (!id || id->empty())
    return {StanzaVerdict::Kind::unanswerable, "an IQ needs an id (RFC 6120 8.2.3)"};
  std::string_view type = stanza.attr_or("type");
  if (type == "result" || type == "error") return {};
  if (type != "get" && type != "set")
    return {StanzaVerdict::Kind::bad_request, "an IQ's type is get, set, result or error"};
  if (stanza.children().size() != 1)
    return {StanzaVerdict::Kind::bad_request, "an IQ get or set carries exactly one payload"};
  return {};
}

namespace {

// One run of decimal digits, all of `text`.
bool parse_number(std::string_view text, unsigned* out) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

StreamVersion stream_version(const xml::Element& header) {
  const std::string* version = header.attr("version");
  if (!version) return StreamVersion::legacy;
  std::string_view text = *version;
  auto dot = text.find('.');
  unsigned major = 0, minor = 0;
  if (dot == std::string_view::npos || !parse_number(text.substr(0, dot), &major) ||
      !parse_number(text.substr(dot + 1), &minor))
    return StreamVersion::unsupported;
  return major >= 1 ? StreamVersion::v1 : StreamVersion::legacy;
}

}  // namespace herald::xmpp
