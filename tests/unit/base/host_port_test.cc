#include "base/host_port.h"

#include <gtest/gtest.h>

namespace herald {

TEST(HostPort, ParsesNamesIpv4AndBracketedIpv6) {
  auto a = parse_host_port("user.example:5269");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "user.example");
  EXPECT_EQ(a->port, 5269);
  auto b = parse_host_port("[::1]:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  EXPECT_EQ(parse_host_port("127.0.0.1:65535")->port, 65535);
}

TEST(HostPort, RejectsWhatIsNotHostColonPort) {
  for (const char* bad : {"", "host", "host:", ":5269", "host:65536", "host:12x", "::1:5269", "[::1]",
                          "[::1]5269", "host:-1"})
    EXPECT_FALSE(parse_host_port(bad)) << bad;
}

}  // namespace herald
