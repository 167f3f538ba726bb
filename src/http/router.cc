#include "http/router.h"

#include <exception>

#include "base/log.h"

namespace herald::http {

void Router::add(const std::string& method, const std::string& path, Handler handler) {
  by_path_[path][method] = std::move(handler);
}

Response Router::handle(const Request& request) const {
  auto path = by_path_.find(request.path);
  if (path == by_path_.end()) return text_response(404, "not found");
  auto method = path->second.find(request.method);
  if (method == path->second.end()) {
    // HEAD of a GET resource is not served: nothing here needs it.
    std::string allow;
    for (const auto& [name, handler] : path->second) allow += (allow.empty() ? "" : ", ") + name;
    Response r = text_response(405, "method not allowed");
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  try {
    return method->second(request);
  } catch (const std::exception& e) {
    log::debug("http: handler for {} failed: {}", request.path, e.what());
    return text_response(500, "internal error");
  }
}

}  // namespace herald::http
