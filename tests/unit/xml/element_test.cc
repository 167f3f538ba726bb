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

}  // namespace
}  // namespace herald::xml
