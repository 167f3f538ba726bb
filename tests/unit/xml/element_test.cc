#include "xml/element.h"

#include <gtest/gtest.h>

namespace herald::xml {
namespace {

TEST(Element, AttributesAreUnprefixedByDefault) {
  Element e("iq", "jabber:server");
  e.set_attr("type", "get").set_attr("id", "1");
  e.mutable_attributes().push_back({"type", "other", "urn:x"});
  EXPECT_EQ(e.attr_or("type"), "get");
  e.set_attr("type", "set");
  EXPECT_EQ(e.attr_or("type"), "set");
  EXPECT_EQ(e.attributes().size(), 3u);
  e.remove_attr("type");
  EXPECT_EQ(e.attr("type"), nullptr);
  EXPECT_EQ(e.attributes().size(), 2u);  // the namespaced one stays
  EXPECT_EQ(e.attr_or("missing", "fallback"), "fallback");
}

TEST(Element, ChildLookupMatchesNameAndNamespace) {
  Element e("iq", "jabber:server");
  e.add_child("query", "urn:a");
  e.add_child("query", "urn:b").set_text("b");
  ASSERT_NE(e.child("query", "urn:b"), nullptr);
  EXPECT_EQ(e.child("query", "urn:b")->text(), "b");
  EXPECT_EQ(e.child("query", "urn:c"), nullptr);
  const Element& c = e;
  EXPECT_NE(c.child("query", "urn:a"), nullptr);
}

TEST(Element, MixedContentKeepsDocumentOrder) {
  Element p("p", "urn:x");
  p.append_text("a ");
  p.add_child("b", "urn:x").set_text("b");
  p.append_text(" c");
  p.append_text("!");
  p.add_child("br", "urn:x");
  EXPECT_EQ(p.text(), "a  c!") << "text() stays the concatenated character data";
  EXPECT_TRUE(p.has_mixed_content());
  EXPECT_EQ(p.text_before(0), "a ");
  EXPECT_EQ(p.text_before(1), " c!") << "adjacent pieces join one run";
  EXPECT_EQ(p.text_before(2), "");
  p.set_text("plain");
  EXPECT_FALSE(p.has_mixed_content());
  EXPECT_EQ(p.text_before(0), "plain");
  EXPECT_EQ(p.text_before(1), "");
}

TEST(Element, TextBeforeAnyChildIsNotMixed) {
  Element body("body", "jabber:client");
  body.append_text("hello ");
  body.append_text("world");
  EXPECT_FALSE(body.has_mixed_content());
  EXPECT_EQ(body.text(), "hello world");
  Element m("message", "jabber:client");
  m.append_text("\n");
  m.add_child(body);
  EXPECT_FALSE(m.has_mixed_content());
  EXPECT_EQ(m.text_before(0), "\n");
}

TEST(Element, TextAfterRemovedChildrenStaysAfterTheLast) {
  Element p("p", "urn:x");
  p.add_child("a", "urn:x");
  p.add_child("b", "urn:x");
  p.append_text("tail");
  p.mutable_children().pop_back();
  EXPECT_EQ(p.text_before(1), "tail");
}

TEST(Element, RenameNamespaceMovesOnlyThatNamespaceAndKeepsMixedContent) {
  Element m("message", "jabber:client");
  m.add_child("body", "jabber:client").set_text("hi");
  Element& p = m.add_child("p", "http://www.w3.org/1999/xhtml");
  p.append_text("a ");
  p.add_child("b", "http://www.w3.org/1999/xhtml").set_text("b");
  p.append_text(" c");
  m.rename_namespace("jabber:client", "jabber:server");
  EXPECT_EQ(m.ns(), "jabber:server");
  EXPECT_EQ(m.children()[0].ns(), "jabber:server");
  EXPECT_EQ(m.children()[1].ns(), "http://www.w3.org/1999/xhtml");
  EXPECT_EQ(m.children()[1].text_before(1), " c");
}

}  // namespace
}  // namespace herald::xml
