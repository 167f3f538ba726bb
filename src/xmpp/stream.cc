#include "xmpp/stream.h"

#include "base/crypto.h"
#include "base/encoding.h"
#include "xml/serializer.h"
#include "xmpp/jid.h"

namespace herald::xmpp {

std::string stream_header(std::string_view default_ns, std::string_view from, std::string_view to,
                          std::string_view id, std::string_view extra,
                          bool with_version) {
  std::string out = "<?xml version='1.0'?><stream:stream xmlns='";
  out.append(default_ns).append("' xmlns:stream='http://etherx.jabber.org/streams'");
  if (!extra.empty()) out.append(" ").append(extra);
  if (with_version) out.append(" version='1.0'");
  auto add = [&](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out.append(" ").append(name).append("='").append(xml::escape_attribute(value)).append("'");
  };
  add("from", from);
  add("to", to);
  add("id", id);
  out.append(">");
  return out;
}

std::string stream_error(std::string_view condition, std::string_view text,
                         std::string_view app_specific) {
  std::string out = "<stream:error><";
  out.append(condition).append(" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>");
  if (!text.empty()) {
    out.append("<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>")
        .append(xml::escape_text(text))
        .append("</text>");
  }
  out.append(app_specific);
  out.append("</stream:error>");
  return out;
}

std::string to_wire(const xml::Element& element, std::string_view default_ns) {
  if (element.ns() == kClientNs || element.ns() == kServerNs) {
    // Written as if the stanza's namespace were the stream's: it and its
    // children in the same namespace (e.g. <error/>) carry no xmlns.
    return xml::serialize(element, element.ns());
  }
  if (element.ns() != kStreamNs) return xml::serialize(element, default_ns);
  // stream:features and the like: write the prefixed wrapper by hand and its
  // children in their own namespaces.
  std::string out = "<stream:" + element.name() + ">";
  for (const auto& child : element.children()) xml::serialize_to(out, child, default_ns);
  out.append("</stream:").append(element.name()).append(">");
  return out;
}

bool is_stanza(const xml::Element& element, std::string_view default_ns) {
  return element.ns() == default_ns &&
         (element.name() == "iq" || element.name() == "message" || element.name() == "presence");
}

std::optional<std::string> jid_domain(std::string_view jid) {
  auto parsed = Jid::parse(jid);
  if (!parsed) return std::nullopt;
  return parsed->domain();
}

std::string new_stream_id() {
  return hex_encode(random_bytes(16));
}

}  // namespace herald::xmpp
