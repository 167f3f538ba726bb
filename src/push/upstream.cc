#include "push/upstream.h"

namespace herald::push {

const char* to_string(UpstreamStatus status) {
  switch (status) {
    case UpstreamStatus::delivered: return "delivered";
    case UpstreamStatus::token_dead: return "token-dead";
    case UpstreamStatus::token_invalid: return "token-invalid";
    case UpstreamStatus::rejected: return "rejected";
    case UpstreamStatus::throttled: return "throttled";
    case UpstreamStatus::unavailable: return "unavailable";
    case UpstreamStatus::unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace herald::push
