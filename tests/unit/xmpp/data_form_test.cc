#include "xmpp/data_form.h"

#include <gtest/gtest.h>

#include "../push/fixture_xml.h"

namespace herald::xmpp {
namespace {

const xml::Element& summary_form(const xml::Element& iq) {
  return iq.child("pubsub", "http://jabber.org/protocol/pubsub")
      ->child("publish", "http://jabber.org/protocol/pubsub")
      ->child("item", "http://jabber.org/protocol/pubsub")
      ->child("notification", "urn:xmpp:push:0")
      ->children()
      .at(0);
}

TEST(DataForm, ParsesProsodySummary) {
  xml::Element iq = testing::load_stanza("publish/prosody-default-body.xml");
  auto form = parse_data_form(summary_form(iq));
  ASSERT_TRUE(form);
  EXPECT_EQ(form->type, "form");
  EXPECT_EQ(form->form_type(), "urn:xmpp:push:summary");
  ASSERT_EQ(form->fields.size(), 5u);
  EXPECT_EQ(form->fields[0].type, "hidden");
  EXPECT_EQ(form->field("message-count")->value(), "1");
  // Self-closed fields: present, no value.
  ASSERT_NE(form->field("last-message-sender"), nullptr);
  EXPECT_TRUE(form->field("last-message-sender")->values.empty());
  EXPECT_EQ(form->field("last-message-sender")->value(), "");
  EXPECT_EQ(form->field("last-message-body")->value(), "New Message!");
  EXPECT_EQ(form->field("no-such-field"), nullptr);
}

TEST(DataForm, ParsesEjabberdLabels) {
  xml::Element iq = testing::load_stanza("publish/ejabberd-body.xml");
  auto form = parse_data_form(summary_form(iq));
  ASSERT_TRUE(form);
  EXPECT_EQ(form->type, "submit");
  EXPECT_EQ(form->field("last-message-body")->label, "The body text of the last received message");
}

TEST(DataForm, RejectsOtherElements) {
  EXPECT_FALSE(parse_data_form(xml::Element("x", "jabber:x:oob")));
  EXPECT_FALSE(parse_data_form(xml::Element("form", "jabber:x:data")));
}

TEST(DataForm, FormWithoutFormTypeHasEmptyFormType) {
  DataForm form;
  form.add_field("a", "b");
  EXPECT_EQ(form.form_type(), "");
}

TEST(DataForm, KeepsMultipleValuesInOrder) {
  xml::Element x("x", "jabber:x:data");
  xml::Element& f = x.add_child("field", "jabber:x:data");
  f.set_attr("var", "features").set_attr("type", "list-multi");
  f.add_child("value", "jabber:x:data").set_text("one");
  f.add_child("value", "jabber:x:data").set_text("two");
  f.add_child("option", "jabber:x:data");  // ignored
  auto form = parse_data_form(x);
  ASSERT_TRUE(form);
  EXPECT_EQ(form->field("features")->values, (std::vector<std::string>{"one", "two"}));
}

TEST(DataForm, SerializerRoundTrips) {
  DataForm form;
  form.type = "result";
  form.title = "Registered";
  form.instructions = {"Keep the secret."};
  form.add_field("FORM_TYPE", "urn:example:form", "hidden");
  FormField& node = form.add_field("node", "n1", "text-single");
  node.label = "Node";
  form.fields.push_back(FormField{"empty", "", "", {}});

  xml::Element x = serialize_data_form(form);
  EXPECT_TRUE(x.is("x", "jabber:x:data"));
  EXPECT_EQ(x.attr_or("type"), "result");
  const xml::Element* empty = nullptr;
  for (const auto& c : x.children())
    if (c.attr_or("var") == "empty") empty = &c;
  ASSERT_NE(empty, nullptr);
  EXPECT_TRUE(empty->children().empty());

  auto back = parse_data_form(x);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->type, "result");
  EXPECT_EQ(back->title, "Registered");
  EXPECT_EQ(back->instructions, form.instructions);
  EXPECT_EQ(back->form_type(), "urn:example:form");
  ASSERT_EQ(back->fields.size(), 3u);
  EXPECT_EQ(back->field("node")->label, "Node");
  EXPECT_EQ(back->field("node")->type, "text-single");
  EXPECT_EQ(back->field("node")->value(), "n1");
  EXPECT_TRUE(back->field("empty")->values.empty());
}

}  // namespace
}  // namespace herald::xmpp
