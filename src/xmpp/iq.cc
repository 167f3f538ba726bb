#include "xmpp/iq.h"

#include <string>

namespace herald::xmpp {

const char* to_string(ErrorType type) {
  switch (type) {
    case ErrorType::cancel:
      return "cancel";
    case ErrorType::wait:
      return "wait";
    case ErrorType::modify:
      return "modify";
    case ErrorType::auth:
      return "auth";
  }
  return "cancel";
}

namespace {

constexpr std::string_view kDefaultStanzaNs = "jabber:server";

xml::Element reply_envelope(const xml::Element& iq, std::string type) {
  xml::Element reply(iq.name(), iq.ns().empty() ? std::string(kDefaultStanzaNs) : iq.ns());
  reply.set_attr("type", std::move(type));
  // Swapped addresses; a missing one stays missing (the transport fills in
  // the stream's implied address, RFC 6120 8.1.2).
  if (const std::string* to = iq.attr("to")) reply.set_attr("from", *to);
  if (const std::string* from = iq.attr("from")) reply.set_attr("to", *from);
  if (const std::string* id = iq.attr("id")) reply.set_attr("id", *id);
  return reply;
}

}  // namespace

xml::Element make_result(const xml::Element& iq) {
  return reply_envelope(iq, "result");
}

xml::Element make_error(const xml::Element& iq, ErrorType type, std::string_view condition,
                        std::string_view text) {
  xml::Element reply = reply_envelope(iq, "error");
  xml::Element& error = reply.add_child("error", reply.ns());
  error.set_attr("type", to_string(type));
  error.add_child(std::string(condition), std::string(kStanzasNs));
  if (!text.empty()) {
    error.add_child("text", std::string(kStanzasNs)).set_text(std::string(text));
  }
  return reply;
}

}  // namespace herald::xmpp
