// Incremental HTTP/1.1 request parsing for one connection, with limits.
//
// Bytes are fed as they arrive; next() yields complete requests one at a
// time (pipelined requests stay buffered for the following call). Parsing is
// done by Boost.Beast's request parser, confined to request_parser.cc so
// nothing else sees Boost. Limits are enforced while parsing: a header block
// longer than max_header_bytes gives header_too_large (answer 431), a body
// longer than max_body_bytes (declared or chunked) gives body_too_large
// (413), anything malformed gives bad_request (400). After an error the
// parser is unusable: the connection must be closed after the answer.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "http/message.h"

namespace herald::http {

struct ParserLimits {
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 64 * 1024;
};

class RequestParser {
 public:
  enum class Status { need_more, complete, bad_request, header_too_large, body_too_large };

  explicit RequestParser(ParserLimits limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  void feed(std::string_view bytes);
  // complete: *out holds the next request (remote_address left empty).
  Status next(Request* out);
  // Whether part of a request has arrived (an idle keep-alive connection has
  // none): decides between 408 and a silent close on timeout.
  bool has_partial() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The status code to answer a parse error with (400, 413 or 431).
int status_for(RequestParser::Status status);

}  // namespace herald::http
