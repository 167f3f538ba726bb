// HTTP/1.1 requests and responses as plain data, independent of the parser
// and the transport. Header names in Request::headers are lowercase.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace herald::http {

struct Request {
  std::string method;  // "GET", "POST", ... as sent (methods are case-sensitive)
  std::string target;  // the request target as sent, e.g. "/api/v1/x?y=1"
  std::string path;    // target without the query
  std::string query;   // after '?', without it; empty if none
  int version = 11;    // 10 or 11
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  bool keep_alive = true;
  // The peer's address, for per-client limits only. Never log it (docs/privacy.md
  // promise 8); it is not part of the parsed message.
  std::string remote_address;

  // The header's value, or "" when absent.
  const std::string& header(const std::string& lowercase_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// "OK", "Not Found", ... ("Unknown" for codes this server never sends).
const char* reason_phrase(int status);

// The bytes of a response: status line, Content-Type, Content-Length,
// Cache-Control (no-store unless an extra header sets it), the extra
// headers, "Connection: close" when `close` is set, and the body. Each
// header appears once; extra Content-Type, Content-Length or Connection
// headers are ignored (the fields above say them).
std::string serialize(const Response& response, bool close);

// A response with a short text body, for the server's own errors.
Response text_response(int status, std::string body);

}  // namespace herald::http
