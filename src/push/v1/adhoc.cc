#include "push/v1/adhoc.h"

#include <ctime>

#include "base/crypto.h"
#include "base/encoding.h"
#include "xmpp/data_form.h"
#include "xmpp/iq.h"

namespace herald::push::v1 {

namespace {

constexpr std::string_view kDiscoItemsNs = "http://jabber.org/protocol/disco#items";

struct Command {
  const char* node;
  const char* name;
};
constexpr Command kCommands[] = {
    {"v1-register-push", "Register a device for push notifications (v1)"},
    {"v1-unregister-push", "Unregister a device (v1)"},
    {"v1-export-data", "Show everything stored about a registration (v1)"},
};

std::string form_type_for(std::string_view command) {
  return "https://github.com/tmolitor-stud-tu/mod_push_appserver/#" + std::string(command);
}

xml::Element blank_form(std::string_view command) {
  xmpp::DataForm form;
  form.type = "form";
  form.add_field("FORM_TYPE", form_type_for(command), "hidden");
  if (command == "v1-register-push") {
    form.add_field("type", "", "text-single");
    form.add_field("node", "", "text-single");
    form.add_field("token", "", "text-single");
  } else if (command == "v1-unregister-push") {
    form.add_field("type", "", "text-single");
    form.add_field("node", "", "text-single");
    form.add_field("token", "", "text-single");
    form.add_field("secret", "", "text-private");
  } else {
    form.add_field("node", "", "text-single");
    form.add_field("secret", "", "text-private");
  }
  return xmpp::serialize_data_form(form);
}

std::string iso_time(store::TimePoint t) { return utc_timestamp(t); }

xml::Element completed(const xml::Element& iq, std::string_view node, std::string sessionid,
                       std::optional<xmpp::DataForm> form) {
  xml::Element reply = xmpp::make_result(iq);
  xml::Element& cmd = reply.add_child("command", std::string(kCommandsNs));
  cmd.set_attr("node", std::string(node));
  cmd.set_attr("sessionid", std::move(sessionid));
  cmd.set_attr("status", "completed");
  if (form) cmd.add_child(xmpp::serialize_data_form(*form));
  return reply;
}

xml::Element error_for(const xml::Element& iq, Answer a) {
  switch (a) {
    case Answer::bad_request:
      return xmpp::make_error(iq, xmpp::ErrorType::modify, "bad-request",
                              "missing or malformed field");
    case Answer::not_found:
      return xmpp::make_error(iq, xmpp::ErrorType::cancel, "item-not-found",
                              "unknown v1 registration");
    case Answer::forbidden:
      return xmpp::make_error(iq, xmpp::ErrorType::cancel, "forbidden", "wrong secret or token");
    default:
      return xmpp::make_error(iq, xmpp::ErrorType::wait, "internal-server-error");
  }
}

}  // namespace

bool is_command(const xml::Element& iq) {
  return iq.child("command", kCommandsNs) != nullptr;
}

xml::Element command_items(const xml::Element& iq, const std::string& domain) {
  xml::Element reply = xmpp::make_result(iq);
  xml::Element& query = reply.add_child("query", std::string(kDiscoItemsNs));
  query.set_attr("node", std::string(kCommandsNs));
  for (const Command& c : kCommands)
    query.add_child("item", std::string(kDiscoItemsNs))
        .set_attr("jid", domain)
        .set_attr("node", c.node)
        .set_attr("name", c.name);
  return reply;
}

void handle_command(const xml::Element& iq, Registrar& registrar, const std::string& domain,
                    std::function<void(xml::Element)> reply) {
  const xml::Element* cmd = iq.child("command", kCommandsNs);
  std::string node(cmd->attr_or("node"));
  bool known = false;
  for (const Command& c : kCommands) known = known || node == c.node;
  if (!known) return reply(xmpp::make_error(iq, xmpp::ErrorType::cancel, "item-not-found"));
  std::string sessionid(cmd->attr_or("sessionid"));
  if (sessionid.empty()) sessionid = hex_encode(random_bytes(8));
  if (cmd->attr_or("action") == "cancel") {
    xml::Element r = xmpp::make_result(iq);
    r.add_child("command", std::string(kCommandsNs))
        .set_attr("node", node)
        .set_attr("sessionid", sessionid)
        .set_attr("status", "canceled");
    return reply(std::move(r));
  }

  std::optional<xmpp::DataForm> form;
  if (const xml::Element* x = cmd->child("x", xmpp::kDataFormsNs)) form = xmpp::parse_data_form(*x);
  if (!form || form->type == "form") {
    xml::Element r = xmpp::make_result(iq);
    xml::Element& out = r.add_child("command", std::string(kCommandsNs));
    out.set_attr("node", node);
    out.set_attr("sessionid", sessionid);
    out.set_attr("status", "executing");
    out.add_child("actions", std::string(kCommandsNs))
        .set_attr("execute", "complete")
        .add_child("complete", std::string(kCommandsNs));
    out.add_child(blank_form(node));
    return reply(std::move(r));
  }
  auto value = [&](std::string_view var) -> std::string_view {
    const xmpp::FormField* f = form->field(var);
    return f ? f->value() : std::string_view();
  };
  // What the answer needs of the request, kept while the store works.
  xml::Element envelope(iq.name(), iq.ns());
  envelope.mutable_attributes() = iq.attributes();

  if (node == "v1-register-push") {
    registrar.register_push(
        value("type"), value("node"), value("token"),
        [envelope = std::move(envelope), node, sessionid, domain, reply = std::move(reply)](
            Answer a, Registered reg) {
          if (a != Answer::ok) return reply(error_for(envelope, a));
          xmpp::DataForm result;
          result.type = "result";
          result.add_field("FORM_TYPE", std::string(kRegisterFormType), "hidden");
          result.add_field("jid", domain, "jid-single");
          result.add_field("node", reg.node, "text-single");
          result.add_field("secret", reg.secret, "text-single");
          reply(completed(envelope, node, sessionid, result));
        });
    return;
  }
  if (node == "v1-unregister-push") {
    std::string_view proof = value("token").empty() ? value("secret") : value("token");
    registrar.unregister(value("node"), proof,
                         [envelope = std::move(envelope), node, sessionid,
                          reply = std::move(reply)](Answer a) {
                           if (a != Answer::ok) return reply(error_for(envelope, a));
                           reply(completed(envelope, node, sessionid, std::nullopt));
                         });
    return;
  }
  // v1-export-data
  registrar.export_data(
      value("node"), value("secret"),
      [envelope = std::move(envelope), node, sessionid, reply = std::move(reply)](
          Answer a, store::Registration reg) {
        if (a != Answer::ok) return reply(error_for(envelope, a));
        xmpp::DataForm result;
        result.type = "result";
        result.title = "Everything this push server stores about the registration";
        result.add_field("FORM_TYPE", form_type_for(node), "hidden");
        result.add_field("node", reg.node);
        result.add_field("type", reg.module);
        result.add_field("token", reg.token);
        result.add_field("secret-sha256", hex_encode(reg.secret_hash));
        result.add_field("registered", iso_time(reg.created));
        result.add_field("renewed", iso_time(reg.renewed));
        result.add_field("last-success", reg.last_success ? iso_time(*reg.last_success) : "");
        result.add_field("last-error", reg.last_error ? iso_time(*reg.last_error) : "");
        reply(completed(envelope, node, sessionid, result));
      });
}

}  // namespace herald::push::v1
