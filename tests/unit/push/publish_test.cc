#include "push/publish.h"

#include <gtest/gtest.h>

#include "fixture_xml.h"

namespace herald::push {
namespace {

Publish parse_ok(const xml::Element& iq) {
  auto parsed = parse_publish(iq);
  EXPECT_TRUE(std::holds_alternative<Publish>(parsed));
  return std::holds_alternative<Publish>(parsed) ? std::get<Publish>(parsed) : Publish{};
}

Publish parse_fixture(const std::string& name) {
  return parse_ok(testing::load_stanza("publish/" + name));
}

struct Expectation {
  const char* file;
  const char* node;
  bool important;
};

// Node (the token) and importance of every captured publish.
const Expectation kFixtures[] = {
    {"prosody-default-body.xml", "b7631409dbd4428fa75c264099285631b972cfa9fea3bf38e0bf61d1792d3416",
     true},
    {"prosody-default-omemo.xml", nullptr, true},
    {"prosody-default-chatstate-offline.xml",
     "ee8d3482fd2ff48c72cc4270fc0acff5128284cb55d2e3416305ac117fae5b61", false},
    {"prosody-default-chatstate-hibernated.xml", nullptr, false},
    {"prosody-default-body-hibernated.xml", nullptr, true},
    {"prosody-default-propose-offline.xml", nullptr, true},
    {"prosody-default-propose-online.xml", nullptr, true},
    {"prosody-with-body-body.xml", nullptr, true},
    {"prosody-with-body-omemo.xml",
     "75609741d2b1f3acb845b886ff4d8122019381133d49535654520ebe5ac52700", false},
    {"ejabberd-body.xml", nullptr, true},
    {"ejabberd-omemo.xml", nullptr, true},
    {"ejabberd-propose-offline.xml",
     "b766aa2917716a6b76327b2cbf644c78c1f502ff0ce4461ed45f144fd7b4b9c5", false},
    {"ejabberd-chatstate-hibernated.xml", nullptr, false},
    {"ejabberd-body-hibernated.xml", nullptr, true},
    {"ejabberd-with-body-body.xml",
     "65fe44b1a1c08746c341b08bb7506acedfcf92f8f32338bfa3bb4d9cc13ff2ec", true},
    {"ejabberd-with-body-omemo.xml", nullptr, true},
};

TEST(Publish, EveryV2FixtureParses) {
  for (const auto& e : kFixtures) {
    SCOPED_TRACE(e.file);
    Publish p = parse_fixture(e.file);
    EXPECT_EQ(p.node.size(), 64u);
    if (e.node) {
      EXPECT_EQ(p.node, e.node);
    }
    EXPECT_EQ(p.push_module, "example-ios");
    EXPECT_FALSE(p.secret);
    EXPECT_FALSE(p.v1());
    EXPECT_EQ(p.important, e.important);
  }
}

TEST(Publish, V1OptionsGiveTheSecret) {
  Publish p = parse_fixture("prosody-default-body-v1-options.xml");
  EXPECT_EQ(p.node, "96c07a2d56fc46d31f02a3c6a1846a6a3744e5b9b419c644acfc65ae33729268");
  EXPECT_EQ(p.secret, "3e8ad8b4a0e1cf4d1a1c7bd5c40d2fd2");
  EXPECT_FALSE(p.push_module);
  EXPECT_TRUE(p.v1());
  EXPECT_TRUE(p.important);
}

xml::Element* item_of(xml::Element& iq) {
  return iq.child("pubsub", kPubsubNs)->child("publish", kPubsubNs)->child("item", kPubsubNs);
}

TEST(Publish, SummaryFormBesideNotificationCounts) {
  // Old prosody-modules: <item><notification/><x .../></item>.
  xml::Element iq = testing::load_stanza("publish/prosody-default-body.xml");
  xml::Element* item = item_of(iq);
  xml::Element* notification = item->child("notification", kPushNs);
  xml::Element form = notification->children().at(0);
  notification->mutable_children().clear();
  item->add_child(form);
  EXPECT_TRUE(parse_ok(iq).important);

  // The same with an empty body stays unimportant.
  xml::Element quiet = testing::load_stanza("publish/prosody-default-chatstate-offline.xml");
  xml::Element* qitem = item_of(quiet);
  xml::Element qform = qitem->child("notification", kPushNs)->children().at(0);
  qitem->child("notification", kPushNs)->mutable_children().clear();
  qitem->add_child(qform);
  EXPECT_FALSE(parse_ok(quiet).important);
}

TEST(Publish, MissingPublishOptionsIsAccepted) {
  xml::Element iq = testing::load_stanza("publish/ejabberd-body.xml");
  auto& children = iq.child("pubsub", kPubsubNs)->mutable_children();
  std::erase_if(children, [](const xml::Element& e) { return e.name() == "publish-options"; });
  Publish p = parse_ok(iq);
  EXPECT_FALSE(p.push_module);
  EXPECT_FALSE(p.secret);
  EXPECT_TRUE(p.important);
}

TEST(Publish, TigasePriorityHighIsImportant) {
  xml::Element iq = testing::load_stanza("publish/ejabberd-propose-offline.xml");
  ASSERT_FALSE(parse_ok(iq).important);
  xml::Element* notification = item_of(iq)->child("notification", kPushNs);
  notification->add_child("priority", std::string(kTigasePriorityNs)).set_text("low");
  EXPECT_FALSE(parse_ok(iq).important);
  notification->mutable_children().back().set_text("high");
  EXPECT_TRUE(parse_ok(iq).important);
}

TEST(Publish, FormTypeFormAndOtherOptionsAreAccepted) {
  xml::Element iq = testing::load_stanza("publish/ejabberd-propose-offline.xml");
  xml::Element* x = iq.child("pubsub", kPubsubNs)
                        ->child("publish-options", kPubsubNs)
                        ->child("x", "jabber:x:data");
  x->set_attr("type", "form");
  xml::Element& extra = x->add_child("field", "jabber:x:data");
  extra.set_attr("var", "pubsub#persist_items");
  extra.add_child("value", "jabber:x:data").set_text("true");
  EXPECT_EQ(parse_ok(iq).push_module, "example-ios");
}

TEST(Publish, OptionsWithAnotherFormTypeAreIgnored) {
  xml::Element iq = testing::load_stanza("publish/ejabberd-propose-offline.xml");
  xml::Element* x = iq.child("pubsub", kPubsubNs)
                        ->child("publish-options", kPubsubNs)
                        ->child("x", "jabber:x:data");
  x->mutable_children().at(0).mutable_children().at(0).set_text("urn:example:other");
  EXPECT_FALSE(parse_ok(iq).push_module);
}

TEST(Publish, BodyTextIsNotKept) {
  Publish p = parse_fixture("prosody-with-body-body.xml");
  // Publish holds only node, module, secret and a flag: no string in it
  // carries the body or the sender.
  for (const std::string* s : {&p.node, &*p.push_module}) {
    EXPECT_EQ(s->find("Hi Alice"), std::string::npos);
    EXPECT_EQ(s->find("bob"), std::string::npos);
  }
}

TEST(Publish, MissingPartsAreBadRequests) {
  xml::Element iq("iq", "jabber:server");
  iq.set_attr("type", "set");
  EXPECT_TRUE(std::holds_alternative<PublishError>(parse_publish(iq)));
  EXPECT_FALSE(is_publish(iq));

  xml::Element& pubsub = iq.add_child("pubsub", std::string(kPubsubNs));
  EXPECT_TRUE(std::holds_alternative<PublishError>(parse_publish(iq)));

  xml::Element& publish = pubsub.add_child("publish", std::string(kPubsubNs));
  EXPECT_TRUE(is_publish(iq));
  EXPECT_TRUE(std::holds_alternative<PublishError>(parse_publish(iq)));  // no node

  publish.set_attr("node", "");
  EXPECT_TRUE(std::holds_alternative<PublishError>(parse_publish(iq)));

  publish.set_attr("node", "abcd");
  Publish p = parse_ok(iq);  // no item at all: still a publish, not important
  EXPECT_EQ(p.node, "abcd");
  EXPECT_FALSE(p.important);
}

TEST(Publish, PubsubInWrongNamespaceIsNotAPublish) {
  xml::Element iq("iq", "jabber:server");
  iq.add_child("pubsub", "urn:example").add_child("publish", "urn:example").set_attr("node", "a");
  EXPECT_FALSE(is_publish(iq));
  EXPECT_TRUE(std::holds_alternative<PublishError>(parse_publish(iq)));
}

}  // namespace
}  // namespace herald::push
