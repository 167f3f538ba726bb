#include "http/router.h"

#include <exception>
#include <memory>
#include <optional>

#include "base/log.h"

namespace herald::http {

void Router::add(const std::string& method, const std::string& path, Handler handler) {
  add_async(method, path, [handler = std::move(handler)](const Request& request, Respond respond) {
    respond(handler(request));
  });
}

void Router::add_async(const std::string& method, const std::string& path, AsyncHandler handler) {
  by_path_[path][method] = std::move(handler);
}

void Router::handle(const Request& request, Respond respond) const {
  auto path = by_path_.find(request.path);
  if (path == by_path_.end()) return respond(text_response(404, "not found"));
  auto method = path->second.find(request.method);
  if (method == path->second.end()) {
    // HEAD of a GET resource is not served: nothing here needs it.
    std::string allow;
    for (const auto& [name, handler] : path->second) allow += (allow.empty() ? "" : ", ") + name;
    Response r = text_response(405, "method not allowed");
    r.headers.emplace_back("Allow", allow);
    return respond(std::move(r));
  }
  // A throwing handler has not answered (respond would have ended it).
  auto answered = std::make_shared<bool>(false);
  try {
    method->second(request, [answered, respond](Response r) {
      *answered = true;
      respond(std::move(r));
    });
  } catch (const std::exception& e) {
    log::debug("http: handler for {} failed: {}", request.path, e.what());
    if (!*answered) respond(text_response(500, "internal error"));
  }
}

Response Router::handle(const Request& request) const {
  std::optional<Response> out;
  handle(request, [&out](Response r) { out = std::move(r); });
  return out ? std::move(*out) : text_response(500, "internal error");
}

}  // namespace herald::http
