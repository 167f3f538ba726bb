// Dispatch by method and exact path. Unknown paths get 404, a known path
// with another method gets 405 with an Allow header; a handler that throws
// gets a 500 (the exception text is logged at debug only, as it may quote
// request data). Handlers run on the server's thread and must not block: a
// handler that waits on something (a store) is added with add_async() and
// calls `respond` once, later, on that thread (the server answers 503 if it
// has not within its read_timeout).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "http/message.h"

namespace herald::http {

class Router {
 public:
  using Handler = std::function<Response(const Request&)>;
  using Respond = std::function<void(Response)>;
  using AsyncHandler = std::function<void(const Request&, Respond)>;

  void add(const std::string& method, const std::string& path, Handler handler);
  void add_async(const std::string& method, const std::string& path, AsyncHandler handler);
  // `respond` runs once, before handle() returns unless the route is asynchronous.
  void handle(const Request& request, Respond respond) const;
  // For routes that answer at once (tests): an asynchronous route that has
  // not answered by the time its handler returns is a 500.
  Response handle(const Request& request) const;

 private:
  std::map<std::string, std::map<std::string, AsyncHandler>> by_path_;  // path -> method -> handler
};

}  // namespace herald::http
