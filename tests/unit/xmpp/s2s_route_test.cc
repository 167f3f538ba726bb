#include "xmpp/s2s/s2s_route.h"

#include <gtest/gtest.h>

#include "xmpp/s2s/s2s_service.h"

namespace herald::xmpp {
namespace {

TEST(S2sRoute, StaticRouteWins) {
  S2sConfig config;
  config.routes["user.test"] = S2sRoute{"127.0.0.3", 5270, false};
  auto target = static_target(config, "user.test");
  ASSERT_TRUE(target);
  EXPECT_EQ(*target, (S2sTarget{"127.0.0.3", 5270, false}));
  EXPECT_FALSE(static_target(config, "other.test"));
}

TEST(S2sRoute, StaticRouteAnswersWithoutDns) {
  asio::io_context io;
  net::Resolver resolver(io);
  S2sConfig config;
  config.routes["v6.test"] = S2sRoute{"::1", 5269, true};
  std::vector<S2sTarget> got;
  find_s2s_targets(resolver, config, "v6.test", [&](std::vector<S2sTarget> t) { got = t; });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (S2sTarget{"::1", 5269, true}));
}

TEST(S2sRoute, DirectTlsRecordsComeFirstThenStartTlsThenFallback) {
  std::vector<net::SrvRecord> xmpps{{"tls.example.org.", 5270, 0, 0}};
  std::vector<net::SrvRecord> xmpp{{"a.example.org.", 5269, 10, 0}, {"b.example.org", 5269, 20, 0}};
  auto targets = targets_from_srv("example.org", xmpps, xmpp);
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0], (S2sTarget{"tls.example.org", 5270, true}));
  EXPECT_EQ(targets[1], (S2sTarget{"a.example.org", 5269, false}));
  EXPECT_EQ(targets[2], (S2sTarget{"b.example.org", 5269, false}));
  auto fallback = targets_from_srv("example.org", {}, {});
  ASSERT_EQ(fallback.size(), 1u);
  EXPECT_EQ(fallback[0], (S2sTarget{"example.org", 5269, false}));
}

TEST(S2sRoute, RecordsMergeByPriorityDirectTlsFirstOnTies) {
  std::vector<net::SrvRecord> xmpps{{"tls1.example.org", 5270, 10, 0}, {"tls2.example.org", 5270, 30, 0}};
  std::vector<net::SrvRecord> xmpp{{"plain1.example.org", 5269, 5, 0}, {"plain2.example.org", 5269, 10, 0}};
  auto targets = targets_from_srv("example.org", xmpps, xmpp);
  ASSERT_EQ(targets.size(), 4u);
  EXPECT_EQ(targets[0], (S2sTarget{"plain1.example.org", 5269, false}));
  EXPECT_EQ(targets[1], (S2sTarget{"tls1.example.org", 5270, true}));
  EXPECT_EQ(targets[2], (S2sTarget{"plain2.example.org", 5269, false}));
  EXPECT_EQ(targets[3], (S2sTarget{"tls2.example.org", 5270, true}));
}

TEST(S2sRoute, OnlyDirectTlsRecordsStillEndWithStartTlsOnTheDomain) {
  // XEP-0368: when every _xmpps-server target fails, the _xmpp-server
  // procedure still applies; without such records that is domain:5269.
  std::vector<net::SrvRecord> xmpps{{"tls.example.org.", 5270, 0, 0}};
  auto targets = targets_from_srv("example.org", xmpps, {});
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0], (S2sTarget{"tls.example.org", 5270, true}));
  EXPECT_EQ(targets[1], (S2sTarget{"example.org", 5269, false}));
}

TEST(S2sRoute, NonAsciiDomainsBecomePunycode) {
  EXPECT_EQ(dns_name("example.org"), "example.org");
  EXPECT_EQ(dns_name("b\xc3\xbc"
                     "cher.example"),
            "xn--bcher-kva.example");
}

TEST(S2sListen, ParsesIpv4AndIpv6Endpoints) {
  auto v4 = parse_listen_endpoint("0.0.0.0:5269");
  EXPECT_TRUE(v4.address().is_v4());
  EXPECT_EQ(v4.port(), 5269);
  auto v6 = parse_listen_endpoint("[::1]:0");
  EXPECT_TRUE(v6.address().is_v6());
  EXPECT_EQ(v6.port(), 0);
  EXPECT_THROW(parse_listen_endpoint("nohost"), std::invalid_argument);
  EXPECT_THROW(parse_listen_endpoint("1.2.3.4:99999"), std::invalid_argument);
}

}  // namespace
}  // namespace herald::xmpp
