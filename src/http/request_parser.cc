// The only file that includes Boost.Beast: its parser works on plain buffers
// (boost::asio::const_buffer is a pointer and a size), so it needs none of
// Boost.Asio's sockets and coexists with standalone Asio elsewhere.
#include "http/request_parser.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <optional>
#include <string>

namespace herald::http {

namespace beast_http = boost::beast::http;
using BeastParser = beast_http::request_parser<beast_http::string_body>;

struct RequestParser::Impl {
  ParserLimits limits;
  std::string buffer;
  std::optional<BeastParser> parser;
  bool failed = false;

  void reset_parser() {
    parser.emplace();
    parser->header_limit(uint32_t(limits.max_header_bytes));
    parser->body_limit(uint64_t(limits.max_body_bytes));
    parser->eager(true);
  }
};

RequestParser::RequestParser(ParserLimits limits) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->reset_parser();
}

RequestParser::~RequestParser() = default;

void RequestParser::feed(std::string_view bytes) { impl_->buffer.append(bytes); }

bool RequestParser::has_partial() const {
  return !impl_->buffer.empty() || impl_->parser->got_some();
}

namespace {

std::string to_string(boost::beast::string_view s) { return std::string(s.data(), s.size()); }

std::string lowercase(boost::beast::string_view s) {
  std::string out = to_string(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

RequestParser::Status RequestParser::next(Request* out) {
  Impl& m = *impl_;
  if (m.failed) return Status::bad_request;
  while (!m.buffer.empty() && !m.parser->is_done()) {
    boost::beast::error_code ec;
    size_t used = m.parser->put(boost::asio::const_buffer(m.buffer.data(), m.buffer.size()), ec);
    m.buffer.erase(0, used);
    if (ec == beast_http::error::need_more) break;
    if (ec) {
      m.failed = true;
      if (ec == beast_http::error::header_limit) return Status::header_too_large;
      if (ec == beast_http::error::body_limit) return Status::body_too_large;
      return Status::bad_request;
    }
    if (used == 0) break;
  }
  if (!m.parser->is_done()) {
    // Beast reports the header limit only once the buffered header block
    // passes it; a client dribbling an endless header hits this check.
    if (!m.parser->is_header_done() && m.buffer.size() > m.limits.max_header_bytes) {
      m.failed = true;
      return Status::header_too_large;
    }
    return Status::need_more;
  }
  auto message = m.parser->release();
  m.reset_parser();

  Request r;
  r.method = to_string(message.method_string());
  r.target = to_string(message.target());
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  r.version = int(message.version());
  r.keep_alive = message.keep_alive();
  for (const auto& field : message) {
    std::string name = lowercase(field.name_string());
    auto [it, inserted] = r.headers.emplace(name, to_string(field.value()));
    if (!inserted) it->second += ", " + to_string(field.value());
  }
  r.body = std::move(message.body());
  *out = std::move(r);
  return Status::complete;
}

int status_for(RequestParser::Status status) {
  switch (status) {
    case RequestParser::Status::header_too_large: return 431;
    case RequestParser::Status::body_too_large: return 413;
    default: return 400;
  }
}

}  // namespace herald::http
