// Dispatch by method and exact path. Unknown paths get 404, a known path
// with another method gets 405 with an Allow header; a handler that throws
// gets a 500 (the exception text is logged at debug only, as it may quote
// request data). Handlers run on the server's thread and must not block.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "http/message.h"

namespace herald::http {

class Router {
 public:
  using Handler = std::function<Response(const Request&)>;

  void add(const std::string& method, const std::string& path, Handler handler);
  Response handle(const Request& request) const;

 private:
  std::map<std::string, std::map<std::string, Handler>> by_path_;  // path -> method -> handler
};

}  // namespace herald::http
