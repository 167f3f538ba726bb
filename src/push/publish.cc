#include "push/publish.h"

#include "xmpp/data_form.h"

namespace herald::push {

namespace {

// A summary form carries FORM_TYPE urn:xmpp:push:summary; a form without
// FORM_TYPE is taken as one too, since it can be nothing else there.
bool is_summary(const xmpp::DataForm& form) {
  std::string_view type = form.form_type();
  return type.empty() || type == kPushSummaryFormType;
}

bool summary_marks_important(const xml::Element& parent) {
  for (const auto& child : parent.children()) {
    auto form = xmpp::parse_data_form(child);
    if (!form || !is_summary(*form)) continue;
    const xmpp::FormField* body = form->field("last-message-body");
    if (body && !body->value().empty()) return true;
  }
  return false;
}

bool tigase_priority_high(const xml::Element& parent) {
  const xml::Element* priority = parent.child("priority", kTigasePriorityNs);
  return priority && priority->text() == "high";
}

void read_publish_options(const xml::Element& pubsub, Publish& out) {
  const xml::Element* options = pubsub.child("publish-options", kPubsubNs);
  if (!options) return;
  for (const auto& child : options->children()) {
    auto form = xmpp::parse_data_form(child);
    if (!form) continue;
    std::string_view type = form->form_type();
    if (!type.empty() && type != kPublishOptionsFormType) continue;
    // An empty value counts as absent: it names no module and no secret.
    if (const auto* f = form->field("pushModule"); f && !f->value().empty())
      out.push_module = std::string(f->value());
    if (const auto* f = form->field("secret"); f && !f->value().empty())
      out.secret = std::string(f->value());
  }
}

}  // namespace

bool is_publish(const xml::Element& iq) {
  const xml::Element* pubsub = iq.child("pubsub", kPubsubNs);
  return pubsub && pubsub->child("publish", kPubsubNs);
}

std::variant<Publish, PublishError> parse_publish(const xml::Element& iq) {
  const xml::Element* pubsub = iq.child("pubsub", kPubsubNs);
  if (!pubsub) return PublishError{"missing pubsub"};
  const xml::Element* publish = pubsub->child("publish", kPubsubNs);
  if (!publish) return PublishError{"missing publish"};
  const std::string* node = publish->attr("node");
  if (!node || node->empty()) return PublishError{"missing node"};

  Publish out;
  out.node = *node;
  if (const xml::Element* item = publish->child("item", kPubsubNs)) {
    const xml::Element* notification = item->child("notification", kPushNs);
    if (notification) {
      out.important = summary_marks_important(*notification) || tigase_priority_high(*notification);
    }
    // Old prosody-modules: the summary form is a sibling of <notification>.
    out.important = out.important || summary_marks_important(*item);
  }
  read_publish_options(*pubsub, out);
  return out;
}

}  // namespace herald::push
