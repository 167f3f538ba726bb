#include "xmpp/stanza_check.h"

namespace herald::xmpp {
namespace {

constexpr StanzaFault bad_request(std::string_view text) {
  return {ErrorType::modify, "bad-request", text};
}

}  // namespace

std::optional<StanzaFault> check_stanza(const xml::Element& stanza, std::optional<Jid>* to) {
  if (to) to->reset();
  if (const std::string* text = stanza.attr("to")) {
    auto parsed = Jid::parse(*text);
    if (!parsed) return StanzaFault{ErrorType::modify, "jid-malformed", "malformed 'to' address"};
    if (to) *to = std::move(parsed);
  }
  if (stanza.name() != "iq") return std::nullopt;
  if (!stanza.attr("id")) return bad_request("an iq needs an 'id'");
  std::string_view type = stanza.attr_or("type");
  if (type == "get" || type == "set") {
    if (stanza.children().size() != 1) return bad_request("an iq request carries exactly one payload");
  } else if (type == "result") {
    if (stanza.children().size() > 1) return bad_request("an iq result carries at most one payload");
  } else if (type == "error") {
    bool has_error = false;
    for (const auto& child : stanza.children()) has_error = has_error || child.name() == "error";
    if (!has_error) return bad_request("an iq error carries an <error/>");
  } else {
    return bad_request("an iq's type is get, set, result or error");
  }
  return std::nullopt;
}

bool answerable(const xml::Element& stanza) {
  std::string_view type = stanza.attr_or("type");
  if (type == "error") return false;
  return !(stanza.name() == "iq" && type == "result");
}

}  // namespace herald::xmpp
