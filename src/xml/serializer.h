// Turns elements into bytes for the wire. Escapes character data (& < >) and
// attribute values (& < > " '), and writes xmlns declarations only where an
// element's namespace differs from its parent's (the stream's default
// namespace is given by the caller, e.g. "jabber:server" for s2s).
// Attributes are single-quoted and written in the element's order; xml:
// attributes keep their prefix, other namespaced attributes get a prefix
// declared on the same element. C0 control characters that XML 1.0 forbids
// are dropped; CR (and tab/LF in attributes) become character references so
// they survive the receiver's normalisation.
#pragma once

#include <string>
#include <string_view>

#include "xml/element.h"

namespace herald::xml {

// Serializes `element` as it would appear inside a stream whose default
// namespace is `stream_ns`. Elements in the stream's namespace carry no
// xmlns; elements without children or text are self-closed.
std::string serialize(const Element& element, std::string_view stream_ns = "jabber:server");
void serialize_to(std::string& out, const Element& element,
                  std::string_view stream_ns = "jabber:server");

std::string escape_text(std::string_view text);
std::string escape_attribute(std::string_view value);

}  // namespace herald::xml
