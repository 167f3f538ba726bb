#include "http/message.h"

namespace herald::http {

const std::string& Request::header(const std::string& lowercase_name) const {
  static const std::string empty;
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? empty : it->second;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

namespace {

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string serialize(const Response& response, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    reason_phrase(response.status) + "\r\n";
  if (!response.content_type.empty()) out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  // Each header once: an extra Cache-Control replaces the default, and the
  // framing headers are the server's alone.
  bool own_cache_control = false;
  for (const auto& [name, value] : response.headers)
    own_cache_control = own_cache_control || same_name(name, "Cache-Control");
  if (!own_cache_control) out += "Cache-Control: no-store\r\n";
  for (const auto& [name, value] : response.headers) {
    if (same_name(name, "Content-Type") || same_name(name, "Content-Length") ||
        same_name(name, "Connection"))
      continue;
    out += name + ": " + value + "\r\n";
  }
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

Response text_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
  return r;
}

}  // namespace herald::http
