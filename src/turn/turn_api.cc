#include "turn/turn_api.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/log.h"
#include "turn/credentials.h"

namespace herald::turn {

using nlohmann::json;

http::Response json_error(int status, const std::string& code, const std::string& message) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = json{{"error", code}, {"message", message}}.dump();
  return r;
}

namespace {

http::Response json_ok(const json& body) {
  http::Response r;
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

}  // namespace

TurnApi::Clock TurnApi::system_clock() {
  return [] {
    return int64_t(std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count());
  };
}

TurnApi::TurnApi(TurnApiOptions options, Clock clock)
    : options_(std::move(options)),
      clock_(std::move(clock)),
      challenges_(options_.challenge_lifetime, options_.max_challenges),
      limiter_(options_.rate_limit_requests, options_.rate_limit_window) {
  if (options_.apps.empty()) throw std::invalid_argument("turn: at least one app is required");
  if (options_.shared_secrets.empty())
    throw std::invalid_argument("turn: at least one shared secret is required");
}

void TurnApi::add_routes(http::Router& router) {
  router.add("GET", "/api/v1/challenge/new",
             [this](const http::Request& r) { return new_challenge(r); });
  router.add("POST", "/api/v1/challenge/validate",
             [this](const http::Request& r) { return validate(r); });
}

bool TurnApi::rate_limited(const http::Request& request, http::Response* refusal) {
  int64_t retry_after = 0;
  if (limiter_.allow(request.remote_address, clock_(), &retry_after)) return false;
  *refusal = json_error(429, "rate_limited", "too many requests, try again later");
  refusal->headers.emplace_back("Retry-After", std::to_string(retry_after));
  return true;
}

http::Response TurnApi::new_challenge(const http::Request& request) {
  http::Response refusal;
  if (rate_limited(request, &refusal)) return refusal;
  auto challenge = challenges_.issue(clock_());
  if (!challenge) {
    log::warn("turn: too many outstanding challenges ({}), refusing new ones",
              challenges_.size());
    return json_error(503, "busy", "too many outstanding challenges, try again later");
  }
  return json_ok({{"challenge", challenge->value}, {"validUntil", challenge->valid_until}});
}

http::Response TurnApi::validate(const http::Request& request) {
  http::Response refusal;
  if (rate_limited(request, &refusal)) return refusal;

  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object())
    return json_error(400, "bad_request", "the body must be a JSON object");
  auto field = [&](const json& object, const char* name, json::value_t type) -> const json* {
    auto it = object.find(name);
    if (it == object.end() || it->type() != type) return nullptr;
    return &*it;
  };
  const json* challenge = field(body, "challenge", json::value_t::object);
  const json* app_id = field(body, "appId", json::value_t::string);
  const json* answer = field(body, "challengeResponse", json::value_t::string);
  if (!challenge || !app_id || !answer)
    return json_error(400, "bad_request",
                      "expected \"challenge\" (object), \"appId\" and \"challengeResponse\" "
                      "(strings)");
  const json* value = field(*challenge, "challenge", json::value_t::string);
  auto valid_until_it = challenge->find("validUntil");
  if (!value || valid_until_it == challenge->end() || !valid_until_it->is_number_integer())
    return json_error(400, "bad_request",
                      "the challenge object needs \"challenge\" (string) and \"validUntil\" "
                      "(integer), as issued");
  int64_t valid_until = valid_until_it->get<int64_t>();

  const TurnApp* app = nullptr;
  for (const TurnApp& a : options_.apps)
    if (a.id == app_id->get<std::string>()) app = &a;
  if (!app) return json_error(403, "unknown_app", "this appId is not served here");

  switch (challenges_.redeem(value->get<std::string>(), valid_until, clock_())) {
    case Redeem::expired:
      return json_error(410, "challenge_expired", "the challenge has expired; get a new one");
    case Redeem::unknown:
      return json_error(410, "challenge_unknown", "no such challenge; get a new one");
    case Redeem::used:
      return json_error(409, "challenge_used", "the challenge was already used; get a new one");
    case Redeem::ok:
      break;
  }

  std::string expected =
      challenge_response(app->secret, uint64_t(valid_until), value->get<std::string>());
  auto given = base64_decode(answer->get<std::string>());
  // The length of a valid answer is public (64 bytes); only content is secret.
  if (!given || !constant_time_equal(*given, expected)) {
    log::debug("turn: bad challenge response for app {}", app->id);
    return json_error(401, "bad_response", "the challenge response is not valid for this app");
  }

  int64_t ttl = options_.credential_lifetime.count();
  TurnCredentials credentials = make_credentials(options_.shared_secrets.front(), clock_() + ttl,
                                                 hex_encode(random_bytes(8)));
  log::debug("turn: credentials issued for app {}", app->id);
  return json_ok({{"username", credentials.username},
                  {"password", credentials.password},
                  {"ttl", ttl},
                  {"uris", options_.uris}});
}

}  // namespace herald::turn
