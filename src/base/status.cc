#include "base/status.h"

namespace herald {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return "ok";
    case StatusCode::not_found: return "not found";
    case StatusCode::exists: return "exists";
    case StatusCode::invalid: return "invalid";
    case StatusCode::unavailable: return "unavailable";
    case StatusCode::timeout: return "timeout";
    case StatusCode::internal: return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  std::string out(status_code_name(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace herald
