// Fuzzes http::RequestParser with small limits, feeding the input in chunks
// whose size comes from the first byte. Checks on every complete request:
// the body fits max_body_bytes, the version is 1.0 or 1.1, header names are
// lowercase, path and query split the target; and that an error status
// sticks (the parser is unusable afterwards).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/request_parser.h"

namespace {

using herald::http::Request;
using herald::http::RequestParser;

void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "http_request_fuzz: property failed: %s\n", what);
    abort();
  }
}

void check_request(const Request& r, const herald::http::ParserLimits& limits) {
  check(r.body.size() <= limits.max_body_bytes, "body over the limit");
  check(r.version == 10 || r.version == 11, "version neither 1.0 nor 1.1");
  for (const auto& [name, value] : r.headers)
    for (char c : name) check(!std::isupper(static_cast<unsigned char>(c)), "uppercase header");
  std::string joined = r.path;
  if (r.target.find('?') != std::string::npos) joined += "?" + r.query;
  check(joined == r.target, "path/query do not rebuild the target");
  check(r.remote_address.empty(), "parser set remote_address");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = 1 + data[0] % 128;
  herald::http::ParserLimits limits;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 1024;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  RequestParser parser(limits);
  bool failed = false;
  for (size_t pos = 0; pos < input.size() && !failed; pos += chunk) {
    parser.feed(input.substr(pos, chunk));
    (void)parser.has_partial();
    for (int i = 0; i < 1000; ++i) {
      Request r;
      auto status = parser.next(&r);
      if (status == RequestParser::Status::complete) {
        check_request(r, limits);
        continue;
      }
      if (status != RequestParser::Status::need_more) {
        int code = herald::http::status_for(status);
        check(code == 400 || code == 413 || code == 431, "unexpected error status");
        failed = true;
      }
      break;
    }
  }
  if (failed) {
    parser.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    Request r;
    check(parser.next(&r) != RequestParser::Status::complete, "parser usable after an error");
  }
  return 0;
}
