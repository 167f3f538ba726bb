// Parses a XEP-0357 publish IQ into the few facts Herald acts on.
//
// Loose, because real servers differ (docs/protocol.md "What arrives"): the
// summary form may sit inside <notification> or, from old prosody-modules,
// beside it inside <item>; forms may be type 'form' or 'submit';
// publish-options may be missing. Privacy: the summary's body and sender are
// read only to decide importance and are never copied into Publish.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "xml/element.h"

namespace herald::push {

inline constexpr std::string_view kPubsubNs = "http://jabber.org/protocol/pubsub";
inline constexpr std::string_view kPushNs = "urn:xmpp:push:0";
inline constexpr std::string_view kPushSummaryFormType = "urn:xmpp:push:summary";
inline constexpr std::string_view kPublishOptionsFormType =
    "http://jabber.org/protocol/pubsub#publish-options";
inline constexpr std::string_view kTigasePriorityNs = "tigase:push:priority:0";

struct Publish {
  std::string node;                        // v2: the device token; v1: the registration node
  std::optional<std::string> push_module;  // v2 publish-options 'pushModule'
  std::optional<std::string> secret;       // v1 publish-options 'secret'
  // A non-empty last-message-body, or Tigase priority 'high'.
  bool important = false;
  bool v1() const { return secret.has_value() && !push_module.has_value(); }
};

// Why a publish was refused; answered with modify/bad-request.
struct PublishError {
  std::string text;
};

// `iq` is the whole <iq type='set'> stanza.
std::variant<Publish, PublishError> parse_publish(const xml::Element& iq);

// Whether the IQ carries <pubsub><publish> at all (so it is ours to parse).
bool is_publish(const xml::Element& iq);

}  // namespace herald::push
