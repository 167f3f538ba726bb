#include "xml/stream_parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "xml/serializer.h"

namespace herald::xml {
namespace {

constexpr char kProsodyHeader[] =
    "<?xml version='1.0'?><stream:stream version='1.0' xmlns:db='jabber:server:dialback' "
    "to='push.test' xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server' id='' "
    "from='user.test' xml:lang='en'>";
constexpr char kEjabberdHeader[] =
    "<?xml version='1.0'?><stream:stream version='1.0' xmlns:db='jabber:server:dialback' "
    "xmlns:stream='http://etherx.jabber.org/streams' to='push.test' from='ejab.test' "
    "xmlns='jabber:server'>";
constexpr char kHeader[] =
    "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='push.test' version='1.0'>";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Recorder : StreamParser::Handler {
  std::vector<Element> headers;
  std::vector<Element> elements;
  int closes = 0;
  std::function<void(const Element&)> after_element;

  void on_stream_open(const Element& header) override { headers.push_back(header); }
  void on_element(Element element) override {
    elements.push_back(std::move(element));
    if (after_element) after_element(elements.back());
  }
  void on_stream_close() override { ++closes; }
};

class StreamParserTest : public ::testing::Test {
 protected:
  explicit StreamParserTest(StreamLimits limits = {}) : parser_(rec_, limits) {}
  std::optional<StreamError> feed(std::string_view s) { return parser_.feed(s); }
  // Feeds the header, then `body`; returns the condition of the error, or "".
  std::string condition_after(std::string_view body) {
    if (auto e = feed(kHeader)) return "header: " + e->condition;
    auto e = feed(body);
    return e ? e->condition : "";
  }

  Recorder rec_;
  StreamParser parser_;
};

TEST_F(StreamParserTest, ReportsHeaderWithAttributesAndDefaultNamespace) {
  ASSERT_FALSE(feed(kProsodyHeader));
  ASSERT_EQ(rec_.headers.size(), 1u);
  const Element& h = rec_.headers[0];
  EXPECT_TRUE(h.is("stream", "http://etherx.jabber.org/streams"));
  EXPECT_EQ(h.text(), "jabber:server");
  EXPECT_EQ(h.attr_or("to"), "push.test");
  EXPECT_EQ(h.attr_or("from"), "user.test");
  EXPECT_EQ(h.attr_or("version"), "1.0");
  ASSERT_NE(h.attr("id"), nullptr);
  EXPECT_EQ(*h.attr("id"), "");
  bool lang = false, db = false;
  for (const Attribute& a : h.attributes()) {
    if (a.name == "lang" && a.ns == kXmlNs && a.value == "en") lang = true;
    if (a.name == "db" && a.ns == kXmlnsNs && a.value == "jabber:server:dialback") db = true;
  }
  EXPECT_TRUE(lang);
  EXPECT_TRUE(db);
  EXPECT_TRUE(rec_.elements.empty());
}

TEST_F(StreamParserTest, DeliversTopLevelElementsWithResolvedNamespaces) {
  ASSERT_FALSE(feed(kProsodyHeader));
  ASSERT_FALSE(
      feed("<db:result from='a.test' to='b.test'>key</db:result>"
           "<iq type='get' xmlns:x='urn:x' x:attr='v'><ping xmlns='urn:xmpp:ping'/></iq>"));
  ASSERT_EQ(rec_.elements.size(), 2u);
  EXPECT_TRUE(rec_.elements[0].is("result", "jabber:server:dialback"));
  EXPECT_EQ(rec_.elements[0].text(), "key");
  EXPECT_EQ(rec_.elements[0].attr_or("from"), "a.test");
  const Element& iq = rec_.elements[1];
  EXPECT_TRUE(iq.is("iq", "jabber:server"));
  ASSERT_EQ(iq.attributes().size(), 2u);
  EXPECT_EQ(iq.attributes()[1].name, "attr");
  EXPECT_EQ(iq.attributes()[1].ns, "urn:x");
  EXPECT_EQ(iq.attr("attr"), nullptr);  // attr() only finds unprefixed ones
  EXPECT_NE(iq.child("ping", "urn:xmpp:ping"), nullptr);
}

TEST_F(StreamParserTest, PredefinedEntitiesAndCharacterReferencesAreDecoded) {
  EXPECT_EQ(condition_after("<message><body a='&quot;&apos;'>&amp;&lt;&gt;&#x41;&#66;"
                            "<![CDATA[<x>]]></body></message>"),
            "");
  ASSERT_EQ(rec_.elements.size(), 1u);
  const Element* body = rec_.elements[0].child("body", "jabber:server");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->text(), "&<>AB<x>");
  EXPECT_EQ(body->attr_or("a"), "\"'");
}

TEST_F(StreamParserTest, MixedContentKeepsItsOrderWhateverTheChunks) {
  const std::string stanza = "<message><p>a <b>b</b> c&amp;d<i/>e</p></message>";
  ASSERT_FALSE(feed(kHeader));
  for (char c : stanza) ASSERT_FALSE(feed(std::string_view(&c, 1)));
  ASSERT_EQ(rec_.elements.size(), 1u);
  const Element& p = rec_.elements[0].children().at(0);
  EXPECT_EQ(p.text(), "a  c&de");
  EXPECT_EQ(p.text_before(0), "a ");
  EXPECT_EQ(p.text_before(1), " c&d");
  EXPECT_EQ(p.text_before(2), "e");
}

TEST_F(StreamParserTest, WhitespaceKeepalivesAreIgnored) {
  EXPECT_EQ(condition_after(" \n\t <presence/>\r\n <presence/> "), "");
  EXPECT_EQ(rec_.elements.size(), 2u);
}

TEST_F(StreamParserTest, TextAtStreamLevelIsNotWellFormed) {
  EXPECT_EQ(condition_after("<presence/>hello"), "not-well-formed");
  EXPECT_EQ(rec_.elements.size(), 1u);
}

TEST_F(StreamParserTest, RejectsDoctype) {
  EXPECT_EQ(feed("<?xml version='1.0'?><!DOCTYPE stream:stream>")->condition, "restricted-xml");
  EXPECT_TRUE(rec_.headers.empty());
}

TEST_F(StreamParserTest, RejectsEntityDeclarations) {
  auto e = feed(
      "<!DOCTYPE s [<!ENTITY x 'y'>]><stream:stream "
      "xmlns:stream='http://etherx.jabber.org/streams'>&x;");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "restricted-xml");
  EXPECT_TRUE(rec_.headers.empty());
}

TEST_F(StreamParserTest, RejectsBillionLaughsWithoutExpanding) {
  std::string doc = "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = i == 1 ? "lol" : "lol" + std::to_string(i - 1);
    doc += "<!ENTITY lol" + std::to_string(i) + " '";
    for (int k = 0; k < 10; ++k) doc += "&" + prev + ";";
    doc += "'>";
  }
  doc +=
      "]><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server'>"
      "<message><body>&lol9;</body></message>";
  auto start = std::chrono::steady_clock::now();
  auto e = feed(doc);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "restricted-xml");
  EXPECT_TRUE(rec_.elements.empty());
  EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST_F(StreamParserTest, RejectsProcessingInstructions) {
  EXPECT_EQ(condition_after("<?foo bar?>"), "restricted-xml");
}

TEST_F(StreamParserTest, RejectsProcessingInstructionInsideStanza) {
  EXPECT_EQ(condition_after("<message><?foo bar?></message>"), "restricted-xml");
  EXPECT_TRUE(rec_.elements.empty());
}

TEST_F(StreamParserTest, AcceptsXmlDeclaration) {
  ASSERT_FALSE(feed("<?xml version='1.0' encoding='UTF-8'?>"));
  ASSERT_FALSE(feed(kHeader));
  EXPECT_EQ(rec_.headers.size(), 1u);
}

TEST_F(StreamParserTest, RejectsOtherEncodings) {
  auto e = feed("<?xml version='1.0' encoding='ISO-8859-1'?>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "unsupported-encoding");
}

TEST_F(StreamParserTest, RejectsComments) {
  EXPECT_EQ(condition_after("<message><!-- hi --></message>"), "restricted-xml");
}

TEST_F(StreamParserTest, RejectsUndefinedEntityReference) {
  EXPECT_EQ(condition_after("<message><body>&foo;</body></message>"), "restricted-xml");
  EXPECT_TRUE(rec_.elements.empty());
}

TEST_F(StreamParserTest, RejectsUnboundPrefix) {
  EXPECT_EQ(condition_after("<foo:message/>"), "not-well-formed");
}

TEST_F(StreamParserTest, RejectsMalformedXml) {
  EXPECT_EQ(condition_after("<message></presence>"), "not-well-formed");
}

TEST_F(StreamParserTest, RejectsInvalidUtf8) {
  for (std::string bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf8\x88\x80\x80\x80"}) {
    Recorder rec;
    StreamParser parser(rec, {});
    ASSERT_FALSE(parser.feed(kHeader));
    auto e = parser.feed("<message><body>" + bad + "</body></message>");
    ASSERT_TRUE(e) << "accepted bytes " << testing::PrintToString(bad);
    EXPECT_EQ(e->condition, "not-well-formed");
    EXPECT_TRUE(rec.elements.empty());
  }
}

TEST_F(StreamParserTest, RejectsWrongStreamNamespace) {
  auto e = feed("<stream:stream xmlns:stream='http://example.org/streams' xmlns='jabber:server'>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "invalid-namespace");
  EXPECT_TRUE(rec_.headers.empty());
}

TEST_F(StreamParserTest, RejectsWrongRootElement) {
  auto e = feed("<stream xmlns='jabber:server'>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "invalid-namespace");
}

TEST_F(StreamParserTest, RefusesInputAfterAnErrorUntilReset) {
  EXPECT_EQ(condition_after("<a><!-- x --></a>"), "restricted-xml");
  auto e = feed("<presence/>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "restricted-xml");
  EXPECT_TRUE(rec_.elements.empty());
  parser_.reset();
  EXPECT_EQ(condition_after("<presence/>"), "");
  EXPECT_EQ(rec_.elements.size(), 1u);
}

TEST_F(StreamParserTest, ReportsStreamCloseAndIgnoresTheRest) {
  EXPECT_EQ(condition_after("<presence/></stream:stream><presence/>garbage<"), "");
  EXPECT_EQ(rec_.elements.size(), 1u);
  EXPECT_EQ(rec_.closes, 1);
  EXPECT_FALSE(feed("<more/>"));
  EXPECT_EQ(rec_.elements.size(), 1u);
}

TEST_F(StreamParserTest, ResetAcceptsANewHeader) {
  EXPECT_EQ(condition_after("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), "");
  parser_.reset();
  auto e = feed(kEjabberdHeader);  // starts with an XML declaration

  ASSERT_FALSE(e) << e->condition << ": " << e->text;
  ASSERT_FALSE(feed("<presence/>"));
  EXPECT_EQ(rec_.headers.size(), 2u);
  EXPECT_EQ(rec_.headers[1].attr_or("from"), "ejab.test");
  EXPECT_EQ(rec_.elements.size(), 2u);
}

TEST_F(StreamParserTest, StopInsideCallbackDropsTheRestOfTheChunk) {
  rec_.after_element = [this](const Element& e) {
    if (e.name() == "success") parser_.stop();
  };
  EXPECT_EQ(condition_after("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><injected/>"), "");
  ASSERT_EQ(rec_.elements.size(), 1u);
  EXPECT_EQ(rec_.elements[0].name(), "success");
  EXPECT_FALSE(feed("<injected/>"));  // ignored until reset()
  EXPECT_EQ(rec_.elements.size(), 1u);
  parser_.reset();
  ASSERT_FALSE(feed(kHeader));
  ASSERT_FALSE(feed("<presence/>"));
  EXPECT_EQ(rec_.headers.size(), 2u);
  EXPECT_EQ(rec_.elements.size(), 2u);
}

TEST_F(StreamParserTest, ResetInsideCallbackTakesEffectAfterFeed) {
  rec_.after_element = [this](const Element& e) {
    if (e.name() == "proceed") parser_.reset();
  };
  EXPECT_EQ(condition_after("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><injected/>"), "");
  ASSERT_EQ(rec_.elements.size(), 1u);
  ASSERT_FALSE(feed(kHeader));
  EXPECT_EQ(rec_.headers.size(), 2u);
}

class LimitedStreamParserTest : public StreamParserTest {
 protected:
  LimitedStreamParserTest() : StreamParserTest(StreamLimits{1000, 4}) {}
};

TEST_F(LimitedStreamParserTest, AcceptsStanzaUnderTheLimit) {
  EXPECT_EQ(condition_after("<message><body>" + std::string(900, 'a') + "</body></message>"), "");
  EXPECT_EQ(rec_.elements.size(), 1u);
}

TEST_F(LimitedStreamParserTest, RejectsCompleteOversizedStanza) {
  auto e = feed(std::string(kHeader) + "<presence/><message><body>" + std::string(1000, 'a') +
                "</body></message><presence/>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "policy-violation");
  EXPECT_EQ(rec_.elements.size(), 1u);  // only the first presence
}

TEST_F(LimitedStreamParserTest, StopsEndlessTextWhileIncomplete) {
  ASSERT_FALSE(feed(kHeader));
  ASSERT_FALSE(feed("<message><body>"));
  size_t fed = 0;
  std::optional<StreamError> e;
  std::string chunk(10, 'a');
  while (!e && fed < 100000) {
    e = feed(chunk);
    fed += chunk.size();
  }
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "policy-violation");
  EXPECT_LE(fed, 1000u);
}

TEST_F(LimitedStreamParserTest, StopsEndlessAttributeWhileIncomplete) {
  ASSERT_FALSE(feed(kHeader));
  ASSERT_FALSE(feed("<iq id='"));
  size_t fed = 0;
  std::optional<StreamError> e;
  while (!e && fed < 100000) {
    e = feed("bbbbbbb");
    fed += 7;
  }
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "policy-violation");
  EXPECT_LE(fed, 1000u);
}

TEST_F(LimitedStreamParserTest, StopsOversizedChunkFedAtOnce) {
  ASSERT_FALSE(feed(kHeader));
  auto e = feed("<iq id='" + std::string(10 * 1000 * 1000, 'c'));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "policy-violation");
}

TEST_F(LimitedStreamParserTest, StopsEndlessHeader) {
  std::optional<StreamError> e;
  ASSERT_FALSE(feed("<stream:stream to='"));
  for (int i = 0; i < 1000 && !e; ++i) e = feed("dddddddddd");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "policy-violation");
}

TEST_F(LimitedStreamParserTest, ManyKeepalivesDoNotAddUp) {
  ASSERT_FALSE(feed(kHeader));
  for (int i = 0; i < 2000; ++i) ASSERT_FALSE(feed(" ")) << i;
  for (int i = 0; i < 200; ++i) ASSERT_FALSE(feed("\n<presence/>\n")) << i;
  EXPECT_EQ(rec_.elements.size(), 200u);
}

TEST_F(LimitedStreamParserTest, EnforcesDepth) {
  EXPECT_EQ(condition_after("<a><b><c/></b></a>"), "");  // depth 4: stream, a, b, c
  auto e = feed("<a><b><c><d/></c></b></a>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->condition, "policy-violation");
  EXPECT_EQ(rec_.elements.size(), 1u);
}

TEST_F(StreamParserTest, ByteByByteFeedingGivesTheSameElements) {
  std::string stream =
      std::string(kProsodyHeader) + "\n" +
      read_file(std::string(HERALD_FIXTURES_DIR) + "/publish/prosody-with-body-body.xml") +
      " <message><body>caf\xc3\xa9 \xf0\x9f\x98\x80 &amp;</body></message>" +
      read_file(std::string(HERALD_FIXTURES_DIR) + "/publish/ejabberd-omemo.xml") +
      "</stream:stream>";
  ASSERT_FALSE(feed(stream));
  Recorder bytewise;
  StreamParser parser(bytewise, {});
  for (char c : stream) ASSERT_FALSE(parser.feed(std::string_view(&c, 1)));
  ASSERT_EQ(rec_.elements.size(), 3u);
  ASSERT_EQ(bytewise.elements.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(serialize(bytewise.elements[i]), serialize(rec_.elements[i]));
  EXPECT_EQ(bytewise.closes, 1);
  ASSERT_EQ(bytewise.headers.size(), 1u);
  EXPECT_EQ(bytewise.headers[0].attributes().size(), rec_.headers[0].attributes().size());
}

// Every captured publish parses, and the parts the push service reads are
// found in the right namespaces.
TEST(StreamParserFixtures, ParsesEveryCapturedPublish) {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HERALD_FIXTURES_DIR) + "/publish")) {
    if (entry.path().extension() != ".xml") continue;
    ++files;
    SCOPED_TRACE(entry.path().filename().string());
    std::string body = read_file(entry.path());
    bool prosody = entry.path().filename().string().starts_with("prosody");
    Recorder rec;
    StreamParser parser(rec, {});
    ASSERT_FALSE(parser.feed(prosody ? kProsodyHeader : kEjabberdHeader));
    ASSERT_FALSE(parser.feed(body));
    ASSERT_EQ(rec.elements.size(), 1u);
    const Element& iq = rec.elements[0];
    EXPECT_TRUE(iq.is("iq", "jabber:server"));
    EXPECT_EQ(iq.attr_or("type"), "set");
    EXPECT_EQ(iq.attr_or("to"), "push.test");
    const Element* pubsub = iq.child("pubsub", "http://jabber.org/protocol/pubsub");
    ASSERT_NE(pubsub, nullptr);
    const Element* publish = pubsub->child("publish", "http://jabber.org/protocol/pubsub");
    ASSERT_NE(publish, nullptr);
    std::string node(publish->attr_or("node"));
    EXPECT_EQ(node.size(), 64u);
    EXPECT_NE(body.find("<publish node='" + node + "'>"), std::string::npos);
    const Element* item = publish->child("item", "http://jabber.org/protocol/pubsub");
    ASSERT_NE(item, nullptr);
    const Element* notification = item->child("notification", "urn:xmpp:push:0");
    ASSERT_NE(notification, nullptr);
    if (const Element* x = notification->child("x", "jabber:x:data")) {
      EXPECT_NE(x->child("field", "jabber:x:data"), nullptr);
    } else {
      EXPECT_TRUE(notification->children().empty());  // ejabberd's empty notifications
    }
    const Element* options = pubsub->child("publish-options", "http://jabber.org/protocol/pubsub");
    ASSERT_NE(options, nullptr);
    const Element* form = options->child("x", "jabber:x:data");
    ASSERT_NE(form, nullptr);
    EXPECT_EQ(form->attr_or("type"), "submit");
  }
  EXPECT_EQ(files, 17);
}

}  // namespace
}  // namespace herald::xml
