#include "net/resolver.h"

#include <gtest/gtest.h>

#include <random>

namespace herald::net {
namespace {

uint32_t always_zero(uint32_t) {
  return 0;
}

TEST(OrderSrv, LowerPriorityFirst) {
  auto ordered = order_srv({{"c", 1, 30, 0}, {"a", 1, 10, 0}, {"b", 1, 20, 0}}, always_zero);
  ASSERT_EQ(ordered.size(), 3u);
  EXPECT_EQ(ordered[0].target, "a");
  EXPECT_EQ(ordered[1].target, "b");
  EXPECT_EQ(ordered[2].target, "c");
}

TEST(OrderSrv, WeightDecidesWithinAPriority) {
  // Roll just above the first record's weight: the second is picked first.
  auto roll = [](uint32_t n) { return n == 101 ? 11u : 0u; };
  auto ordered = order_srv({{"light", 1, 5, 10}, {"heavy", 1, 5, 90}, {"later", 1, 9, 0}}, roll);
  ASSERT_EQ(ordered.size(), 3u);
  EXPECT_EQ(ordered[0].target, "heavy");
  EXPECT_EQ(ordered[1].target, "light");
  EXPECT_EQ(ordered[2].target, "later");
}

TEST(OrderSrv, HeavierRecordWinsMostOfTheTime) {
  std::minstd_rand rng(42);
  auto random = [&](uint32_t n) { return uint32_t(rng() % n); };
  int heavy_first = 0;
  for (int i = 0; i < 1000; ++i)
    if (order_srv({{"light", 1, 5, 10}, {"heavy", 1, 5, 90}}, random)[0].target == "heavy")
      ++heavy_first;
  EXPECT_GT(heavy_first, 800);
  EXPECT_LT(heavy_first, 980);
}

TEST(OrderSrv, DotMeansNoService) {
  EXPECT_TRUE(order_srv({{".", 0, 0, 0}}, always_zero).empty());
}

TEST(Resolver, IpLiteralsAndLocalhostResolve) {
  asio::io_context io;
  Resolver resolver(io);
  std::vector<asio::ip::address> literal, localhost;
  bool literal_done = false, localhost_done = false;
  resolver.query_addresses("::1", [&](auto a) {
    literal = a;
    literal_done = true;
  });
  resolver.query_addresses("localhost", [&](auto a) {
    localhost = a;
    localhost_done = true;
  });
  EXPECT_FALSE(literal_done);  // never inside the call
  io.run_for(std::chrono::seconds(3));
  ASSERT_TRUE(literal_done);
  ASSERT_EQ(literal.size(), 1u);
  EXPECT_EQ(literal[0], asio::ip::make_address("::1"));
  ASSERT_TRUE(localhost_done);
  EXPECT_FALSE(localhost.empty());  // from /etc/hosts
}

TEST(Resolver, OwnDnsServers) {
  asio::io_context io;
  EXPECT_NO_THROW(Resolver(io, {"127.0.0.1:5353", "[::1]:53"}));
  EXPECT_THROW(Resolver(io, {"not an address"}), std::runtime_error);
  // A server that does not answer: the lookup ends empty, within c-ares' timeouts.
  Resolver r(io, {"127.0.0.1:9"});
  bool done = false;
  r.query_srv("_xmpp-server._tcp.example.org", [&](std::vector<SrvRecord> records) {
    EXPECT_TRUE(records.empty());
    done = true;
  });
  io.run_for(std::chrono::seconds(10));
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace herald::net
