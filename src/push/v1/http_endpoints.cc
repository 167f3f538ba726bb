#include "push/v1/http_endpoints.h"

namespace herald::push::v1 {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

http::Response text(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

http::Response error(Answer a) {
  switch (a) {
    case Answer::bad_request: return text(400, "ERROR\nmissing or malformed field\n");
    case Answer::not_found: return text(404, "ERROR\nunknown node\n");
    case Answer::forbidden: return text(403, "ERROR\nwrong token or secret\n");
    default: return text(503, "ERROR\ntry again later\n");
  }
}

const std::string& get(const std::map<std::string, std::string>& form, const std::string& key) {
  static const std::string empty;
  auto it = form.find(key);
  return it == form.end() ? empty : it->second;
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_form_urlencoded(std::string_view body) {
  std::map<std::string, std::string> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto name = unescape(pair.substr(0, eq));
    auto value = unescape(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    out.emplace(std::move(*name), std::move(*value));
  }
  return out;
}

void add_http_routes(http::Router& router, Registrar& registrar) {
  auto do_register = [&registrar](const http::Request& request, http::Router::Respond respond) {
    auto form = parse_form_urlencoded(request.body);
    if (!form) return respond(error(Answer::bad_request));
    registrar.register_push(get(*form, "type"), get(*form, "node"), get(*form, "token"),
                            [respond](Answer a, Registered reg) {
                              if (a != Answer::ok) return respond(error(a));
                              respond(text(200, "OK\n" + reg.node + "\n" + reg.secret));
                            });
  };
  auto do_unregister = [&registrar](const http::Request& request, http::Router::Respond respond) {
    auto form = parse_form_urlencoded(request.body);
    if (!form) return respond(error(Answer::bad_request));
    const std::string& proof =
        get(*form, "token").empty() ? get(*form, "secret") : get(*form, "token");
    registrar.unregister(get(*form, "node"), proof, [respond](Answer a) {
      if (a != Answer::ok) return respond(error(a));
      respond(text(200, "OK"));
    });
  };
  for (const char* prefix : {"/push_appserver/v1", "/v1"}) {
    router.add_async("POST", std::string(prefix) + "/register", do_register);
    router.add_async("POST", std::string(prefix) + "/unregister", do_unregister);
  }
}

}  // namespace herald::push::v1
