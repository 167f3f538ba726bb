#include "push/reply_policy.h"

namespace herald::push {

ReplyPlan plan_reply(UpstreamStatus status, bool module_recently_succeeded) {
  using xmpp::ErrorType;
  ReplyPlan plan;
  switch (status) {
    case UpstreamStatus::delivered:
      plan.success = true;
      return plan;
    case UpstreamStatus::token_dead:
      plan.error_type = ErrorType::cancel;
      plan.condition = "item-not-found";
      plan.text = "device token unregistered";
      plan.bury = true;
      return plan;
    case UpstreamStatus::token_invalid:
      if (module_recently_succeeded) {
        plan.error_type = ErrorType::cancel;
        plan.condition = "item-not-found";
        plan.text = "device token invalid";
        plan.bury = true;
      } else {
        plan.error_type = ErrorType::wait;
        plan.condition = "internal-server-error";
        plan.text = "device token refused by push service";
        plan.suspect_environment_mixup = true;
      }
      return plan;
    case UpstreamStatus::rejected:
      plan.error_type = ErrorType::wait;
      plan.condition = "internal-server-error";
      plan.text = "push service rejected the request";
      return plan;
    case UpstreamStatus::throttled:
      plan.error_type = ErrorType::wait;
      plan.condition = "resource-constraint";
      plan.text = "push service throttled";
      return plan;
    case UpstreamStatus::unavailable:
    case UpstreamStatus::unknown:
      break;
  }
  plan.error_type = ErrorType::wait;
  plan.condition = "internal-server-error";
  plan.text = "push service unavailable";
  return plan;
}

}  // namespace herald::push
