#include "fcm-sim/simulator.h"

#include <nlohmann/json.hpp>

#include "base/crypto.h"
#include "base/encoding.h"

namespace herald::fcm_sim {
namespace {

using Json = nlohmann::json;

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string header(const sim::H2Request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      auto byte = hex_decode(s.substr(i + 1, 2));
      if (!byte) return out + std::string(s.substr(i));
      out += *byte;
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_form(std::string_view body) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      out[url_decode(pair.substr(0, eq))] = url_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

sim::H2Response json_response(int status, const Json& body) {
  sim::H2Response r;
  r.status = status;
  r.headers = {{"content-type", "application/json; charset=UTF-8"}};
  r.body = body.dump();
  return r;
}

// Google's error shape; `fcm_code` adds an FcmError detail.
sim::H2Response google_error(int status, const char* rpc_status, const std::string& message,
                             const std::string& fcm_code) {
  Json error = {{"code", status}, {"message", message}, {"status", rpc_status}};
  if (!fcm_code.empty()) {
    error["details"] = Json::array(
        {{{"@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError"},
          {"errorCode", fcm_code}}});
  }
  return json_response(status, {{"error", error}});
}

sim::H2Response bad_request(const std::string& field, const std::string& description) {
  Json error = {{"code", 400},
                {"message", description},
                {"status", "INVALID_ARGUMENT"},
                {"details",
                 Json::array({{{"@type", "type.googleapis.com/google.rpc.BadRequest"},
                               {"fieldViolations",
                                Json::array({{{"field", field}, {"description", description}}})}}})}};
  return json_response(400, {{"error", error}});
}

class Adapter : public sim::ConnectionHandler {
 public:
  explicit Adapter(Simulator& sim) : sim_(sim) {}
  void on_request(const sim::H2Request& request, sim::Reply reply) override {
    reply(sim_.handle(request));
  }

 private:
  Simulator& sim_;
};

}  // namespace

Recorder::Recorder(const std::string& path) : file_(std::fopen(path.c_str(), "a")) {}
Recorder::~Recorder() {
  if (file_) std::fclose(file_);
}
void Recorder::write(const std::string& line) {
  if (!file_) return;
  std::fputs(line.c_str(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

Simulator::Simulator(SimConfig config, const AssertionVerifier& verifier,
                     TokenBehaviours& behaviours, Recorder* recorder, NowMs now_ms)
    : config_(std::move(config)),
      verifier_(verifier),
      behaviours_(behaviours),
      recorder_(recorder),
      now_ms_(now_ms ? std::move(now_ms) : NowMs(&system_now_ms)) {}

std::function<std::unique_ptr<sim::ConnectionHandler>(uint64_t)> Simulator::handler_factory() {
  return [this](uint64_t) { return std::make_unique<Adapter>(*this); };
}

sim::H2Response Simulator::handle(const sim::H2Request& request) {
  std::string kind = "other", note, token, message;
  sim::H2Response response;
  std::string send_prefix = "/v1/projects/";
  std::string send_suffix = "/messages:send";
  bool is_send = request.path.size() > send_prefix.size() + send_suffix.size() &&
                 request.path.compare(0, send_prefix.size(), send_prefix) == 0 &&
                 request.path.compare(request.path.size() - send_suffix.size(), send_suffix.size(),
                                      send_suffix) == 0;
  if (request.method == "POST" && request.path == config_.token_path) {
    kind = "token";
    response = token_endpoint(request, &note);
  } else if (request.method == "POST" && is_send) {
    kind = "send";
    ++sends_;
    response = send_endpoint(request, &token, &message, &note);
    if (response.status == 200) ++delivered_;
  } else {
    response = google_error(404, "NOT_FOUND", "no such endpoint", "");
    note = "no such endpoint";
  }
  if (recorder_) {
    Json line = {{"time_ms", now_ms_()},
                 {"kind", kind},
                 {"method", request.method},
                 {"path", request.path},
                 {"status", response.status},
                 {"error", note.empty() ? Json(nullptr) : Json(note)},
                 {"connection", request.connection_id},
                 {"stream", request.stream_id}};
    if (kind == "token") line["assertion"] = parse_form(request.body)["assertion"];
    if (kind == "send") {
      line["token"] = token;
      Json parsed = Json::parse(message, nullptr, false);
      line["message"] = parsed.is_discarded() ? Json(nullptr) : parsed;
    }
    recorder_->write(line.dump());
  }
  return response;
}

sim::H2Response Simulator::token_endpoint(const sim::H2Request& request, std::string* note) {
  auto form = parse_form(request.body);
  if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    *note = "unsupported_grant_type";
    return json_response(400, {{"error", "unsupported_grant_type"},
                               {"error_description", "Invalid grant_type"}});
  }
  int64_t now = now_ms_();
  std::string problem = verifier_.verify(form["assertion"], now / 1000);
  if (!problem.empty()) {
    *note = "invalid_grant: " + problem;
    return json_response(400, {{"error", "invalid_grant"}, {"error_description", problem}});
  }
  ++token_grants_;
  std::string token = "ya29.sim-" + hex_encode(random_bytes(16));
  access_tokens_[token] = now + config_.token_lifetime.count() * 1000;
  return json_response(200, {{"access_token", token},
                             {"expires_in", config_.token_lifetime.count()},
                             {"token_type", "Bearer"}});
}

sim::H2Response Simulator::send_endpoint(const sim::H2Request& request, std::string* token,
                                         std::string* message, std::string* note) {
  *message = request.body;
  std::string auth = header(request, "authorization");
  constexpr std::string_view kBearer = "Bearer ";
  auto known = auth.compare(0, kBearer.size(), kBearer) == 0
                   ? access_tokens_.find(auth.substr(kBearer.size()))
                   : access_tokens_.end();
  if (known == access_tokens_.end() || known->second <= now_ms_()) {
    *note = "UNAUTHENTICATED";
    return google_error(401, "UNAUTHENTICATED",
                        "Request had invalid authentication credentials.", "");
  }
  std::string project = request.path.substr(std::string_view("/v1/projects/").size());
  project.resize(project.size() - std::string_view("/messages:send").size());
  if (project != config_.project_id) {
    *note = "PERMISSION_DENIED";
    return google_error(403, "PERMISSION_DENIED", "Permission denied on project " + project, "");
  }
  Json body = Json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("message") || !body["message"].is_object()) {
    *note = "INVALID_ARGUMENT: no message";
    return bad_request("message", "Invalid JSON payload: no message");
  }
  const Json& m = body["message"];
  if (m.contains("token") && m["token"].is_string()) *token = m["token"];
  if (token->empty()) {
    *note = "INVALID_ARGUMENT: no token";
    return bad_request("message.token", "Recipient of the message is not set.");
  }
  if (m.contains("notification") || (m.contains("android") && m["android"].is_object() &&
                                     m["android"].contains("notification"))) {
    // Not an FCM rule: Herald promises data-only wake-ups, the simulator holds it to that.
    *note = "INVALID_ARGUMENT: not data-only";
    return bad_request("message.notification", "fcm-sim accepts data-only messages only");
  }
  if (m.contains("data")) {
    if (!m["data"].is_object()) {
      *note = "INVALID_ARGUMENT: data";
      return bad_request("message.data", "data must be a map of strings");
    }
    for (const auto& [k, v] : m["data"].items()) {
      if (!v.is_string()) {
        *note = "INVALID_ARGUMENT: data";
        return bad_request("message.data." + k, "Invalid value (TYPE_STRING)");
      }
    }
  }
  sim::H2Response r;
  switch (behaviours_.lookup(*token)) {
    case Behaviour::ok:
      return json_response(200, {{"name", "projects/" + project + "/messages/" +
                                              std::to_string(next_message_id_++)}});
    case Behaviour::unregistered:
      *note = "UNREGISTERED";
      return google_error(404, "NOT_FOUND", "Requested entity was not found.", *note);
    case Behaviour::invalid_argument:
      *note = "INVALID_ARGUMENT";
      return google_error(400, "INVALID_ARGUMENT",
                          "The registration token is not a valid FCM registration token", *note);
    case Behaviour::sender_id_mismatch:
      *note = "SENDER_ID_MISMATCH";
      return google_error(403, "PERMISSION_DENIED", "SenderId mismatch", *note);
    case Behaviour::quota_exceeded:
      *note = "QUOTA_EXCEEDED";
      r = google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", *note);
      break;
    case Behaviour::unavailable:
      *note = "UNAVAILABLE";
      r = google_error(503, "UNAVAILABLE", "The service is currently unavailable.", *note);
      break;
    case Behaviour::internal:
      *note = "INTERNAL";
      return google_error(500, "INTERNAL", "Internal error encountered.", *note);
  }
  if (config_.retry_after_s > 0) {
    r.headers.emplace_back("retry-after", std::to_string(config_.retry_after_s));
  }
  return r;
}

}  // namespace herald::fcm_sim
