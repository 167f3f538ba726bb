#include <gtest/gtest.h>

#include "xmpp/s2s/dialback.h"

namespace herald::xmpp {
namespace {

// The example of XEP-0185 section 3.
TEST(DialbackKey, MatchesXep0185Example) {
  EXPECT_EQ(dialback_key("s3cr3tf0rd14lb4ck", "example.net", "example.com", "D60000229F"),
            "008c689ff366b50c63d69a3e2d2c0e0e1f8404b0118eb688a0102c87cb691bdc");
}

TEST(DialbackKey, DependsOnEveryInput) {
  auto key = dialback_key("secret", "b.test", "a.test", "id1");
  EXPECT_TRUE(dialback_key_matches("secret", "b.test", "a.test", "id1", key));
  EXPECT_FALSE(dialback_key_matches("other", "b.test", "a.test", "id1", key));
  EXPECT_FALSE(dialback_key_matches("secret", "a.test", "b.test", "id1", key));
  EXPECT_FALSE(dialback_key_matches("secret", "b.test", "a.test", "id2", key));
  EXPECT_FALSE(dialback_key_matches("secret", "b.test", "a.test", "id1", ""));
}

}  // namespace
}  // namespace herald::xmpp
