// Fuzzes push::apns::parse_apns_error_body with arbitrary bodies (Apple's
// JSON error body, or junk from a proxy), then classifies the result under
// the statuses APNs sends. Only crashes and sanitizer reports count: the
// parser's contract is to tolerate anything.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "push/apns/apns_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace herald::push::apns;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  ApnsErrorBody parsed = parse_apns_error_body(body);
  for (int status : {200, 400, 403, 410, 413, 429, 500, 503}) {
    (void)classify_apns_response(status, parsed.reason, parsed.timestamp_ms);
    (void)is_expired_provider_token(status, parsed.reason);
  }
  return 0;
}
