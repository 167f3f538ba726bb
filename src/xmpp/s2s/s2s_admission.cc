#include "xmpp/s2s/s2s_admission.h"

#include "base/log.h"
#include "xmpp/iq.h"
#include "xmpp/stanza_rules.h"
#include "xmpp/stream_connection.h"

namespace herald::xmpp {

bool admit_stanza(S2sHost& host, StreamConnection& stream, std::string_view name,
                  const std::string& from, xml::Element stanza) {
  StanzaVerdict verdict = check_stanza(stanza);
  if (verdict.kind == StanzaVerdict::Kind::unanswerable) {
    stream.fail("invalid-xml", verdict.text);
    return false;
  }
  if (verdict.kind == StanzaVerdict::Kind::bad_request) {
    log::info("s2s {}: a malformed IQ answered bad-request ({})", name, verdict.text);
    host.send_reply(make_error(stanza, ErrorType::modify, "bad-request", verdict.text));
    return true;
  }
  auto type = stanza.attr_or("type");
  if (stanza.name() == "iq" && (type == "set" || type == "get") && !host.admit_request(from)) {
    log::debug("s2s {}: request over the domain's rate, answered wait", name);
    host.send_reply(make_error(stanza, ErrorType::wait, "resource-constraint",
                               "too many requests from your domain, retry later"));
    return true;
  }
  host.deliver(std::move(stanza));
  return true;
}

}  // namespace herald::xmpp
