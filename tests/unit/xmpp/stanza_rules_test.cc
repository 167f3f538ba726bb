// RFC 6120's stanza and stream-header rules, as pure functions.
#include "xmpp/stanza_rules.h"

#include <gtest/gtest.h>

namespace herald::xmpp {
namespace {

using Kind = StanzaVerdict::Kind;

xml::Element iq(const char* type, const char* id, int payloads) {
  xml::Element e("iq", "jabber:server");
  if (type) e.set_attr("type", type);
  if (id) e.set_attr("id", id);
  for (int i = 0; i < payloads; ++i) e.add_child("ping", "urn:xmpp:ping");
  return e;
}

TEST(StanzaRules, AWellFormedIqPasses) {
  EXPECT_TRUE(check_stanza(iq("get", "1", 1)).ok());
  EXPECT_TRUE(check_stanza(iq("set", "1", 1)).ok());
  EXPECT_TRUE(check_stanza(iq("result", "1", 0)).ok());
  EXPECT_TRUE(check_stanza(iq("error", "1", 1)).ok());
}

TEST(StanzaRules, AnIqWithoutIdCannotBeAnswered) {
  EXPECT_EQ(check_stanza(iq("get", nullptr, 1)).kind, Kind::unanswerable);
  EXPECT_EQ(check_stanza(iq("set", "", 1)).kind, Kind::unanswerable);
  EXPECT_EQ(check_stanza(iq("result", nullptr, 0)).kind, Kind::unanswerable);
}

TEST(StanzaRules, GetAndSetCarryExactlyOnePayload) {
  EXPECT_EQ(check_stanza(iq("get", "1", 0)).kind, Kind::bad_request);
  EXPECT_EQ(check_stanza(iq("set", "1", 2)).kind, Kind::bad_request);
  EXPECT_FALSE(check_stanza(iq("set", "1", 2)).text.empty());
}

TEST(StanzaRules, UnknownOrMissingTypeIsBadRequest) {
  EXPECT_EQ(check_stanza(iq("bogus", "1", 1)).kind, Kind::bad_request);
  EXPECT_EQ(check_stanza(iq(nullptr, "1", 1)).kind, Kind::bad_request);
}

TEST(StanzaRules, MessagesAndPresencesPass) {
  xml::Element m("message", "jabber:server");  // an id is optional on messages
  EXPECT_TRUE(check_stanza(m).ok());
  xml::Element p("presence", "jabber:server");
  p.add_child("a", "urn:x").add_child("b", "urn:x");
  EXPECT_TRUE(check_stanza(p).ok());
}

xml::Element header(const char* version) {
  xml::Element h("stream", "http://etherx.jabber.org/streams");
  if (version) h.set_attr("version", version);
  return h;
}

TEST(StreamVersion, MissingVersionIsPre10) {
  EXPECT_EQ(stream_version(header(nullptr)), StreamVersion::legacy);
  EXPECT_EQ(stream_version(header("0.9")), StreamVersion::legacy);
}

TEST(StreamVersion, OneOrHigherIsAnsweredAsOneZero) {
  EXPECT_EQ(stream_version(header("1.0")), StreamVersion::v1);
  EXPECT_EQ(stream_version(header("1.1")), StreamVersion::v1);
  EXPECT_EQ(stream_version(header("2.0")), StreamVersion::v1);
  EXPECT_EQ(stream_version(header("1.10")), StreamVersion::v1);
}

TEST(StreamVersion, MalformedIsUnsupported) {
  for (const char* v : {"", "1", "1.", ".0", "a.b", "1.0.0", "+1.0", "1.0 ", "99999999999.0"})
    EXPECT_EQ(stream_version(header(v)), StreamVersion::unsupported) << v;
}

}  // namespace
}  // namespace herald::xmpp
