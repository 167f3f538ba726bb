#include "apns-sim/token_behaviour.h"

#include <gtest/gtest.h>

#include <vector>

namespace herald::apns_sim {
namespace {

const std::string kToken(64, 'a');

TokenBehaviour parse(const std::string& spec) {
  auto parsed = parse_token_behaviour(kToken + "=" + spec);
  EXPECT_TRUE(parsed) << spec;
  if (!parsed) return {};
  EXPECT_EQ(parsed->first, kToken);
  return parsed->second;
}

TEST(TokenBehaviourTest, ParsesEveryKind) {
  EXPECT_EQ(parse("ok").verdict->status, 200);
  EXPECT_TRUE(parse("dead").dead_now);
  TokenBehaviour dead = parse("dead@1700000000000");
  EXPECT_EQ(dead.verdict->status, 410);
  EXPECT_EQ(dead.verdict->reason, "Unregistered");
  EXPECT_EQ(dead.verdict->timestamp_ms, 1700000000000);
  TokenBehaviour slow = parse("slow:250");
  EXPECT_EQ(slow.verdict->status, 200);
  EXPECT_EQ(slow.delay_ms, 250);
  EXPECT_EQ(parse("429").verdict->reason, "TooManyRequests");
  EXPECT_EQ(parse("500").verdict->status, 500);
  EXPECT_EQ(parse("reset").fault, FaultKind::kResetStream);
  EXPECT_EQ(parse("goaway").fault, FaultKind::kGoaway);
  TokenBehaviour bad = parse("400:BadDeviceToken");
  EXPECT_EQ(bad.verdict->status, 400);
  EXPECT_EQ(bad.verdict->reason, "BadDeviceToken");
}

TEST(TokenBehaviourTest, UppercaseTokenIsLowered) {
  auto parsed = parse_token_behaviour(std::string(64, 'A') + "=ok");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->first, kToken);
}

TEST(TokenBehaviourTest, RejectsMalformed) {
  for (std::string spec : std::vector<std::string>{"", "=ok", kToken, kToken + "=", kToken + "=slow:", kToken + "=slow:x",
                           kToken + "=dead@-1", kToken + "=400:", kToken + "=99:X",
                           kToken + "=bogus", "zz=ok"}) {
    EXPECT_FALSE(parse_token_behaviour(spec)) << spec;
  }
}

}  // namespace
}  // namespace herald::apns_sim
