// The simulator's view of one APNs request and of its answer. Plain data, so
// the validation and authentication steps can be tested as pure functions
// without a network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::apns_sim {

struct Request {
  std::string method;  // from :method
  std::string path;    // from :path
  // Regular (non-pseudo) headers in arrival order; HTTP/2 names are lowercase.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;      // at most kMaxStoredBody bytes of the payload
  size_t body_size = 0;  // the payload's full size, even past kMaxStoredBody
  // Certificate-based provider auth: the client presented a certificate that
  // verified against --client-ca; its subject UID names the app's topic.
  bool client_certificate = false;
  std::string certificate_uid;
};

// Bodies beyond this are counted but not kept: the answer is 413 anyway, and a
// client cannot make the simulator hold unbounded memory.
inline constexpr size_t kMaxStoredBody = 64 * 1024;

// Number of headers named `name` and the first one's value.
size_t count_header(const Request& request, std::string_view name, std::string* value);

// What APNs answers: 200 with an empty reason, or an error status with
// Apple's reason string; 410 also carries when the token became invalid.
struct Verdict {
  int status = 200;
  std::string reason;
  std::optional<int64_t> timestamp_ms;

  bool ok() const { return status == 200; }
  static Verdict success() { return {}; }
  static Verdict error(int status, std::string reason) { return {status, std::move(reason), {}}; }
};

// The JSON body APNs sends with an error ("" for success).
std::string error_body(const Verdict& verdict);

}  // namespace herald::apns_sim
