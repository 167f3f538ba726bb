// The v1 ad-hoc commands (XEP-0050) on the push domain, compatible with the
// older app server's clients (docs/protocol.md "v1 registration"):
//   v1-register-push    form: type, node, token  -> result form: jid, node, secret
//   v1-unregister-push  form: type, node, and token or secret
//   v1-export-data      form: node, secret -> result form: everything stored
// A command executed without a form is answered with the form to fill
// (status 'executing'); a submitted form completes it in one step. Sessions
// carry no state: any sessionid is accepted. Errors: bad-request (modify),
// item-not-found / forbidden (cancel), internal-server-error (wait; the
// store failed or did not answer within its bound).
#pragma once

#include <functional>
#include <string>

#include "push/v1/registrar.h"
#include "xml/element.h"

namespace herald::push::v1 {

inline constexpr std::string_view kCommandsNs = "http://jabber.org/protocol/commands";
inline constexpr std::string_view kRegisterFormType =
    "https://github.com/tmolitor-stud-tu/mod_push_appserver/#v1-register-push";

// Whether the IQ set carries a <command/> in kCommandsNs.
bool is_command(const xml::Element& iq);

// Answers a command IQ addressed to `domain`: `reply` gets the result or
// error exactly once, on the registrar's loop (at once when the store is not
// needed). `registrar` must outlive the answer.
void handle_command(const xml::Element& iq, Registrar& registrar, const std::string& domain,
                    std::function<void(xml::Element)> reply);

// disco#items for node kCommandsNs: one item per command.
xml::Element command_items(const xml::Element& iq, const std::string& domain);

}  // namespace herald::push::v1
