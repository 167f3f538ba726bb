// XEP-0198 counters, acks and the hand-back of unacknowledged stanzas.
#include "xmpp/stream_management.h"

#include <gtest/gtest.h>

#include <limits>

namespace herald::xmpp {
namespace {

using Clock = StreamManagement::Clock;

xml::Element iq(const std::string& id) {
  xml::Element e("iq", "jabber:server");
  e.set_attr("id", id).set_attr("type", "result");
  return e;
}

TEST(StreamManagement, CountsNothingUntilEnabled) {
  StreamManagement sm;
  sm.sent(iq("a"), Clock::now());
  sm.handled();
  EXPECT_EQ(sm.outbound_count(), 0u);
  EXPECT_EQ(sm.inbound_count(), 0u);
  EXPECT_EQ(sm.unacked_size(), 0u);
  EXPECT_TRUE(sm.take_unacked().empty());
}

TEST(StreamManagement, AnswersRequestWithHandledCount) {
  StreamManagement sm;
  sm.start_handling();
  sm.handled();
  sm.handled();
  sm.handled();
  EXPECT_EQ(sm.ack_element(), "<a xmlns='urn:xmpp:sm:3' h='3'/>");
  EXPECT_EQ(StreamManagement::request_element(), "<r xmlns='urn:xmpp:sm:3'/>");
}

TEST(StreamManagement, AckDropsAcknowledgedStanzasOnly) {
  StreamManagement sm;
  sm.start_sending();
  auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) sm.sent(iq(std::to_string(i)), t0 + std::chrono::seconds(i));
  EXPECT_FALSE(sm.on_ack("2"));
  EXPECT_EQ(sm.unacked_size(), 3u);
  EXPECT_EQ(sm.outstanding(), 3u);
  EXPECT_FALSE(sm.on_ack("2"));  // a repeated ack changes nothing
  EXPECT_EQ(sm.unacked_size(), 3u);
  auto back = sm.take_unacked();
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].stanza.attr_or("id"), "2");
  EXPECT_EQ(back[2].stanza.attr_or("id"), "4");
  EXPECT_EQ(back[0].since, t0 + std::chrono::seconds(2));  // original time kept
  EXPECT_TRUE(sm.take_unacked().empty());                  // handed back once
}

TEST(StreamManagement, FullyAckedLeavesNothingToResend) {
  StreamManagement sm;
  sm.start_sending();
  sm.sent(iq("x"), Clock::now());
  sm.sent(iq("y"), Clock::now());
  EXPECT_FALSE(sm.on_ack("2"));
  EXPECT_TRUE(sm.take_unacked().empty());
}

TEST(StreamManagement, AckOfMoreThanSentIsUndefinedCondition) {
  StreamManagement sm;
  sm.start_sending();
  sm.sent(iq("x"), Clock::now());
  auto error = sm.on_ack("2");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->condition, "undefined-condition");
  EXPECT_NE(error->wire.find("handled-count-too-high"), std::string::npos);
  EXPECT_NE(error->wire.find("h='2'"), std::string::npos);
  EXPECT_NE(error->wire.find("send-count='1'"), std::string::npos);
  // An ack before anything was sent is too high as well.
  StreamManagement idle;
  idle.start_sending();
  ASSERT_TRUE(idle.on_ack("1"));
  EXPECT_FALSE(idle.on_ack("0"));
}

TEST(StreamManagement, MalformedHIsAnError) {
  StreamManagement sm;
  sm.start_sending();
  EXPECT_TRUE(sm.on_ack(""));
  EXPECT_TRUE(sm.on_ack("-1"));
  EXPECT_TRUE(sm.on_ack("1x"));
  EXPECT_TRUE(sm.on_ack("4294967296"));  // beyond 2^32 - 1
}

TEST(StreamManagement, CountersWrapAt2To32) {
  constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();
  StreamManagement sm;
  sm.start_sending();
  sm.start_handling();
  sm.set_counters_for_test(kMax - 1);
  for (int i = 0; i < 4; ++i) sm.sent(iq(std::to_string(i)), Clock::now());
  EXPECT_EQ(sm.outbound_count(), 2u);  // (2^32 - 2 + 4) mod 2^32
  // h = 2^32 - 1 acknowledges one; h = 1 (wrapped) two more.
  EXPECT_FALSE(sm.on_ack(std::to_string(kMax)));
  EXPECT_EQ(sm.unacked_size(), 3u);
  EXPECT_FALSE(sm.on_ack("1"));
  EXPECT_EQ(sm.unacked_size(), 1u);
  EXPECT_TRUE(sm.on_ack("3"));  // one more than sent, across the wrap
  EXPECT_FALSE(sm.on_ack("2"));
  EXPECT_EQ(sm.unacked_size(), 0u);
  sm.handled();
  sm.handled();
  EXPECT_EQ(sm.ack_element(), "<a xmlns='urn:xmpp:sm:3' h='0'/>");
}

TEST(StreamManagement, CountedButNotKeptStanzasAreNotHandedBack) {
  StreamManagement sm;
  sm.start_sending();
  sm.sent(iq("kept"), Clock::now());
  sm.sent(iq("not"), Clock::now(), false);
  EXPECT_EQ(sm.outstanding(), 2u);
  EXPECT_FALSE(sm.on_ack("2"));  // both count for the peer's h
  sm.sent(iq("not2"), Clock::now(), false);
  EXPECT_TRUE(sm.take_unacked().empty());
}

TEST(StreamManagement, StopForgetsEverything) {
  StreamManagement sm;
  sm.start_sending();
  sm.sent(iq("x"), Clock::now());
  sm.stop();
  EXPECT_FALSE(sm.sending());
  EXPECT_TRUE(sm.take_unacked().empty());
}

}  // namespace
}  // namespace herald::xmpp
