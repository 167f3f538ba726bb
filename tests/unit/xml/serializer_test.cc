#include "xml/serializer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "xml/stream_parser.h"

namespace herald::xml {
namespace {

constexpr char kHeader[] =
    "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>";

struct Collect : StreamParser::Handler {
  std::vector<Element> elements;
  void on_stream_open(const Element&) override {}
  void on_element(Element e) override { elements.push_back(std::move(e)); }
  void on_stream_close() override {}
};

Element parse_one(std::string_view xml) {
  Collect c;
  StreamParser parser(c, {});
  EXPECT_FALSE(parser.feed(kHeader));
  auto error = parser.feed(xml);
  EXPECT_FALSE(error) << error->condition << ": " << error->text;
  EXPECT_EQ(c.elements.size(), 1u);
  return c.elements.empty() ? Element() : c.elements[0];
}

TEST(Serializer, ReplyFixturesSerializeToTheirExactBytes) {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HERALD_FIXTURES_DIR) + "/publish/replies")) {
    ++files;
    SCOPED_TRACE(entry.path().filename().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(serialize(parse_one(bytes.str())), bytes.str());
  }
  EXPECT_EQ(files, 6);
}

TEST(Serializer, BuildsTheWaitReplyByHand) {
  Element iq("iq", "jabber:server");
  iq.set_attr("type", "error").set_attr("from", "push.test").set_attr("to", "user.test");
  iq.set_attr("id", "x1");
  Element& error = iq.add_child("error", "jabber:server");
  error.set_attr("type", "wait");
  error.add_child("internal-server-error", "urn:ietf:params:xml:ns:xmpp-stanzas");
  error.add_child("text", "urn:ietf:params:xml:ns:xmpp-stanzas").set_text("sink: wait reply");
  EXPECT_EQ(serialize(iq),
            "<iq type='error' from='push.test' to='user.test' id='x1'><error type='wait'>"
            "<internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
            "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>sink: wait reply</text>"
            "</error></iq>");
}

TEST(Serializer, DeclaresNamespaceOnlyWhereItChanges) {
  Element iq("iq", "jabber:server");
  Element& pubsub = iq.add_child("pubsub", "http://jabber.org/protocol/pubsub");
  pubsub.add_child("publish", "http://jabber.org/protocol/pubsub");
  pubsub.add_child("x", "jabber:x:data").add_child("field", "jabber:x:data");
  iq.add_child("back", "jabber:server");
  EXPECT_EQ(serialize(iq),
            "<iq><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish/>"
            "<x xmlns='jabber:x:data'><field/></x></pubsub><back/></iq>");
}

TEST(Serializer, UsesTheGivenStreamNamespace) {
  Element iq("iq", "jabber:server");
  EXPECT_EQ(serialize(iq, "jabber:server"), "<iq/>");
  EXPECT_EQ(serialize(iq, "jabber:client"), "<iq xmlns='jabber:server'/>");
  EXPECT_EQ(serialize(Element("db", ""), "jabber:server"), "<db xmlns=''/>");
}

TEST(Serializer, EscapesTextAndAttributes) {
  Element body("body", "jabber:server");
  body.set_attr("a", "<'\"&>");
  body.set_text("<b>'\"&");
  EXPECT_EQ(serialize(body), "<body a='&lt;&apos;&quot;&amp;&gt;'>&lt;b&gt;'\"&amp;</body>");
  EXPECT_EQ(escape_text("a&b<c>d'e\"f"), "a&amp;b&lt;c&gt;d'e\"f");
  EXPECT_EQ(escape_attribute("a&b<c>d'e\"f"), "a&amp;b&lt;c&gt;d&apos;e&quot;f");
}

TEST(Serializer, DropsForbiddenControlCharactersAndKeepsWhitespace) {
  EXPECT_EQ(escape_text(std::string("a\x01z\tb\nc\r", 8)), "az\tb\nc&#13;");
  EXPECT_EQ(escape_attribute("a\tb\nc"), "a&#9;b&#10;c");
}

TEST(Serializer, WritesXmlLangAndPrefixedAttributes) {
  Element message("message", "jabber:server");
  message.mutable_attributes().push_back({"lang", "en", std::string(kXmlNs)});
  message.mutable_attributes().push_back({"attr", "v", "urn:x"});
  std::string out = serialize(message);
  EXPECT_EQ(out, "<message xml:lang='en' xmlns:ns1='urn:x' ns1:attr='v'/>");
  Element back = parse_one(out);
  ASSERT_EQ(back.attributes().size(), 2u);
  EXPECT_EQ(back.attributes()[0].ns, kXmlNs);
  EXPECT_EQ(back.attributes()[1].ns, "urn:x");
  EXPECT_EQ(back.attributes()[1].name, "attr");
}

TEST(Serializer, RoundTripsEveryPublishFixture) {
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HERALD_FIXTURES_DIR) + "/publish")) {
    if (entry.path().extension() != ".xml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    std::string once = serialize(parse_one(bytes.str()));
    EXPECT_EQ(serialize(parse_one(once)), once);
    EXPECT_EQ(once.size(), bytes.str().size());  // same content, maybe reordered xmlns
  }
}

// A relayed payload arrives as it was sent: XHTML-IM (XEP-0071) mixes text
// and markup, and a pretty-printed stanza keeps its whitespace in place.
TEST(Serializer, MixedContentRoundTripsByteForByte) {
  const std::string stanzas[] = {
      "<message from='a@x.test/r' to='b@y.test' type='chat' id='m1'>"
      "<body>hi &amp; bye</body>"
      "<html xmlns='http://jabber.org/protocol/xhtml-im'>"
      "<body xmlns='http://www.w3.org/1999/xhtml'>"
      "<p>a <b>b</b> c<br/>d <i>e <b>f</b></i>.</p></body></html></message>",
      "<message to='b@y.test'>\n  <body>x</body>\n  <active "
      "xmlns='http://jabber.org/protocol/chatstates'/>\n</message>",
  };
  for (const std::string& in : stanzas) {
    Element e = parse_one(in);
    EXPECT_EQ(serialize(e), in);
  }
  Element html = parse_one(stanzas[0]);
  const Element* p = html.child("html", "http://jabber.org/protocol/xhtml-im")
                         ->child("body", "http://www.w3.org/1999/xhtml")
                         ->child("p", "http://www.w3.org/1999/xhtml");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->text(), "a  cd .");
}

TEST(Serializer, InterleavesTextBuiltInOrder) {
  Element p("p", "jabber:server");
  p.append_text("1<");
  p.add_child("b", "jabber:server").set_text("2");
  p.append_text("3");
  EXPECT_EQ(serialize(p), "<p>1&lt;<b>2</b>3</p>");
}

TEST(Serializer, SerializeToAppends) {
  std::string out = "<x>";
  serialize_to(out, Element("a", "jabber:server"));
  EXPECT_EQ(out, "<x><a/>");
}

}  // namespace
}  // namespace herald::xml
