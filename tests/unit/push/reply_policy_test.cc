#include "push/reply_policy.h"

#include <gtest/gtest.h>

namespace herald::push {
namespace {

using xmpp::ErrorType;

struct Row {
  UpstreamStatus status;
  bool recent_success;
  bool success;
  ErrorType type;
  const char* condition;
  bool bury;
};

// docs/protocol.md "What to answer", as a table.
const Row kTable[] = {
    {UpstreamStatus::delivered, false, true, ErrorType::wait, "", false},
    {UpstreamStatus::delivered, true, true, ErrorType::wait, "", false},
    {UpstreamStatus::token_dead, false, false, ErrorType::cancel, "item-not-found", true},
    {UpstreamStatus::token_dead, true, false, ErrorType::cancel, "item-not-found", true},
    {UpstreamStatus::token_invalid, true, false, ErrorType::cancel, "item-not-found", true},
    {UpstreamStatus::token_invalid, false, false, ErrorType::wait, "internal-server-error", false},
    {UpstreamStatus::rejected, true, false, ErrorType::wait, "internal-server-error", false},
    {UpstreamStatus::throttled, true, false, ErrorType::wait, "resource-constraint", false},
    {UpstreamStatus::unavailable, true, false, ErrorType::wait, "internal-server-error", false},
    {UpstreamStatus::unknown, true, false, ErrorType::wait, "internal-server-error", false},
};

TEST(ReplyPolicy, Table) {
  for (const auto& row : kTable) {
    SCOPED_TRACE(std::string(to_string(row.status)) + (row.recent_success ? " recent" : ""));
    ReplyPlan plan = plan_reply(row.status, row.recent_success);
    EXPECT_EQ(plan.success, row.success);
    EXPECT_EQ(plan.bury, row.bury);
    if (!row.success) {
      EXPECT_EQ(plan.error_type, row.type);
      EXPECT_EQ(plan.condition, row.condition);
      EXPECT_FALSE(plan.text.empty());
    }
  }
}

TEST(ReplyPolicy, OnlyBadDeviceTokenWithoutSuccessesSuspectsAMixup) {
  EXPECT_TRUE(plan_reply(UpstreamStatus::token_invalid, false).suspect_environment_mixup);
  EXPECT_FALSE(plan_reply(UpstreamStatus::token_invalid, true).suspect_environment_mixup);
  EXPECT_FALSE(plan_reply(UpstreamStatus::token_dead, false).suspect_environment_mixup);
}

TEST(ReplyPolicy, OnlyCertainDeathCancels) {
  // ejabberd deletes a registration on the first cancel.
  for (auto status :
       {UpstreamStatus::delivered, UpstreamStatus::token_dead, UpstreamStatus::token_invalid,
        UpstreamStatus::rejected, UpstreamStatus::throttled, UpstreamStatus::unavailable,
        UpstreamStatus::unknown}) {
    for (bool recent : {false, true}) {
      ReplyPlan plan = plan_reply(status, recent);
      if (!plan.success && plan.error_type == ErrorType::cancel) {
        EXPECT_TRUE(plan.bury);
      }
    }
  }
}

}  // namespace
}  // namespace herald::push
