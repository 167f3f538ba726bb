// Fuzzes the TURN API's POST /api/v1/challenge/validate handler with
// arbitrary bodies, calling TurnApi::validate() directly (no sockets). A
// challenge is issued first and every "@C@" in the input is replaced by it,
// so the fuzzer also reaches the redeem and HMAC checks. Checks: the answer
// is always JSON with a status from the documented set, and 200 only with
// the documented fields.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "http/message.h"
#include "turn/turn_api.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "turn_json_fuzz: property failed: %s\n", what);
    abort();
  }
}

herald::turn::TurnApiOptions options() {
  herald::turn::TurnApiOptions o;
  o.apps.push_back({"example-ios", "app-secret"});
  o.shared_secrets = {"coturn-secret"};
  o.uris = {"turn:turn.test:3478?transport=udp"};
  o.max_challenges = 16;
  o.rate_limit_requests = 0;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nlohmann::json;
  // A fresh API per input with a fixed clock: runs are reproducible.
  herald::turn::TurnApi api(options(), [] { return int64_t(1'700'000'000); });
  herald::http::Request request;
  request.method = "POST";
  request.target = request.path = "/api/v1/challenge/validate";
  request.remote_address = "127.0.0.1";

  auto issued = api.new_challenge(request);
  check(issued.status == 200, "challenge/new failed");
  std::string challenge = json::parse(issued.body).at("challenge").get<std::string>();

  std::string body(reinterpret_cast<const char*>(data), size);
  for (size_t pos = 0; (pos = body.find("@C@", pos)) != std::string::npos;) {
    body.replace(pos, 3, challenge);
    pos += challenge.size();
  }
  request.body = std::move(body);

  for (int round = 0; round < 2; ++round) {
    auto response = api.validate(request);
    json answer = json::parse(response.body, nullptr, false);
    check(answer.is_object(), "answer is not a JSON object");
    switch (response.status) {
      case 200:
        check(round == 0, "a challenge was redeemed twice");
        check(answer.contains("username") && answer.contains("password") &&
                  answer.contains("ttl") && answer.contains("uris"),
              "200 without the credential fields");
        break;
      case 400:
      case 401:
      case 403:
      case 409:
      case 410:
        check(answer.contains("error") && answer["error"].is_string(), "error without code");
        break;
      default:
        check(false, "unexpected status");
    }
  }
  return 0;
}
