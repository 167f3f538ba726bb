// How an upstream outcome becomes the IQ answer to the publishing server,
// and whether the token is buried (docs/protocol.md "What to answer"). `cancel`
// makes ejabberd delete the registration at once, so it is only for tokens
// that are certainly dead; everything transient is `wait`.
#pragma once

#include <string_view>

#include "push/upstream.h"
#include "xmpp/iq.h"

namespace herald::push {

struct ReplyPlan {
  bool success = false;  // empty IQ result; the fields below are unused then
  xmpp::ErrorType error_type = xmpp::ErrorType::wait;
  std::string_view condition;  // RFC 6120 defined condition
  std::string_view text;       // short reason for the peer's log; no token
  bool bury = false;           // record a tombstone for the token
  // BadDeviceToken without recent successes of the module: most likely a
  // sandbox/production mix-up, worth a warning to the operator.
  bool suspect_environment_mixup = false;
};

// `module_recently_succeeded`: the same module had a delivered push within
// the configured period (default 24 h).
ReplyPlan plan_reply(UpstreamStatus status, bool module_recently_succeeded);

}  // namespace herald::push
