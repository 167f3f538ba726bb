#include "xmpp/iq.h"

#include <gtest/gtest.h>

#include "../push/fixture_xml.h"

namespace herald::xmpp {
namespace {

// The publish a reply fixture answers: same id, addresses the other way.
xml::Element request_for(const xml::Element& reply) {
  xml::Element iq("iq", "jabber:server");
  iq.set_attr("id", std::string(reply.attr_or("id")));
  iq.set_attr("from", std::string(reply.attr_or("to")));
  iq.set_attr("to", std::string(reply.attr_or("from")));
  iq.set_attr("type", "set");
  iq.add_child("pubsub", "http://jabber.org/protocol/pubsub")
      .add_child("publish", "http://jabber.org/protocol/pubsub");
  return iq;
}

void expect_matches_fixture(const xml::Element& built, const std::string& fixture) {
  xml::Element expected = testing::load_stanza("publish/replies/" + fixture);
  std::string why;
  EXPECT_TRUE(testing::same_tree(built, expected, &why)) << fixture << ": " << why;
}

TEST(Iq, ResultMatchesWhatProsodyAndEjabberdAccepted) {
  for (std::string f : {"reply-result-to-prosody.xml", "reply-result-to-ejabberd.xml"}) {
    xml::Element fixture = testing::load_stanza("publish/replies/" + f);
    expect_matches_fixture(make_result(request_for(fixture)), f);
  }
}

TEST(Iq, WaitErrorMatchesFixtures) {
  for (std::string f : {"reply-wait-to-prosody.xml", "reply-wait-to-ejabberd.xml"}) {
    xml::Element fixture = testing::load_stanza("publish/replies/" + f);
    expect_matches_fixture(make_error(request_for(fixture), ErrorType::wait,
                                      "internal-server-error", "sink: wait reply"),
                           f);
  }
}

TEST(Iq, CancelErrorMatchesFixtures) {
  for (std::string f : {"reply-cancel-to-prosody.xml", "reply-cancel-to-ejabberd.xml"}) {
    xml::Element fixture = testing::load_stanza("publish/replies/" + f);
    expect_matches_fixture(
        make_error(request_for(fixture), ErrorType::cancel, "item-not-found", "sink: cancel reply"),
        f);
  }
}

TEST(Iq, ReplySwapsAddressesAndKeepsId) {
  xml::Element iq("iq", "jabber:server");
  iq.set_attr("type", "get").set_attr("id", "p1").set_attr("from", "a@user.test/r");
  iq.set_attr("to", "push.test");
  iq.add_child("ping", "urn:xmpp:ping");
  xml::Element r = make_result(iq);
  EXPECT_EQ(r.attr_or("type"), "result");
  EXPECT_EQ(r.attr_or("from"), "push.test");
  EXPECT_EQ(r.attr_or("to"), "a@user.test/r");
  EXPECT_EQ(r.attr_or("id"), "p1");
  EXPECT_TRUE(r.children().empty());
}

TEST(Iq, ErrorWithoutTextHasOnlyTheCondition) {
  xml::Element iq("iq", "jabber:server");
  iq.set_attr("type", "set").set_attr("id", "x").set_attr("from", "user.test");
  xml::Element e = make_error(iq, ErrorType::modify, "bad-request");
  EXPECT_EQ(e.attr_or("type"), "error");
  EXPECT_EQ(e.attr("from"), nullptr);  // the request had no 'to'
  const xml::Element* error = e.child("error", "jabber:server");
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->attr_or("type"), "modify");
  ASSERT_EQ(error->children().size(), 1u);
  EXPECT_TRUE(error->children()[0].is("bad-request", kStanzasNs));
}

TEST(Iq, ErrorTypeNames) {
  EXPECT_STREQ(to_string(ErrorType::cancel), "cancel");
  EXPECT_STREQ(to_string(ErrorType::wait), "wait");
  EXPECT_STREQ(to_string(ErrorType::modify), "modify");
  EXPECT_STREQ(to_string(ErrorType::auth), "auth");
}

TEST(Iq, ReplyKeepsTheRequestNamespace) {
  xml::Element iq("iq", "jabber:component:accept");
  iq.set_attr("type", "get").set_attr("id", "c");
  EXPECT_EQ(make_result(iq).ns(), "jabber:component:accept");
  xml::Element bare("iq", "");
  EXPECT_EQ(make_result(bare).ns(), "jabber:server");
}

}  // namespace
}  // namespace herald::xmpp
