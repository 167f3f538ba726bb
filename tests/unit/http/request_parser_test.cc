#include "http/request_parser.h"

#include <gtest/gtest.h>

namespace herald::http {
namespace {

using Status = RequestParser::Status;

TEST(RequestParser, GetWithQueryAndHeaders) {
  RequestParser p({});
  p.feed("GET /api/v1/x?a=1 HTTP/1.1\r\nHost: h\r\nX-Thing: One\r\nx-thing: two\r\n\r\n");
  Request r;
  ASSERT_EQ(p.next(&r), Status::complete);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/api/v1/x");
  EXPECT_EQ(r.query, "a=1");
  EXPECT_EQ(r.header("host"), "h");
  EXPECT_EQ(r.header("x-thing"), "One, two");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(p.has_partial());
  EXPECT_EQ(p.next(&r), Status::need_more);
}

TEST(RequestParser, ByteByByteAndPipelined) {
  RequestParser p({});
  std::string two =
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
      "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  std::vector<Request> got;
  for (char c : two) {
    p.feed(std::string_view(&c, 1));
    Request r;
    while (p.next(&r) == Status::complete) got.push_back(r);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, "hello");
  EXPECT_EQ(got[1].path, "/b");
  EXPECT_EQ(got[1].body, "abc");
}

TEST(RequestParser, KeepAliveFollowsVersionAndConnection) {
  RequestParser p({});
  Request r;
  p.feed("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(p.next(&r), Status::complete);
  EXPECT_FALSE(r.keep_alive);
  p.feed("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(p.next(&r), Status::complete);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(r.version, 10);
}

TEST(RequestParser, Limits) {
  ParserLimits limits{256, 10};
  Request r;
  {
    RequestParser p(limits);
    p.feed("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'a') + "\r\n\r\n");
    EXPECT_EQ(p.next(&r), Status::header_too_large);
    EXPECT_EQ(status_for(Status::header_too_large), 431);
  }
  {
    RequestParser p(limits);  // an endless header without its end
    p.feed("GET / HTTP/1.1\r\nX: " + std::string(300, 'a'));
    EXPECT_EQ(p.next(&r), Status::header_too_large);
  }
  {
    RequestParser p(limits);
    p.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n");
    EXPECT_EQ(p.next(&r), Status::body_too_large);
    EXPECT_EQ(status_for(Status::body_too_large), 413);
  }
  {
    RequestParser p(limits);
    p.feed("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n");
    p.feed("12345678\r\n0\r\n\r\n");
    EXPECT_EQ(p.next(&r), Status::body_too_large);
  }
  {
    RequestParser p(limits);
    p.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789");
    EXPECT_EQ(p.next(&r), Status::complete);
  }
}

TEST(RequestParser, Malformed) {
  for (const char* text : {"GARBAGE\r\n\r\n", "GET / HTTP/9.9x\r\n\r\n",
                           "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                           "GET / HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    RequestParser p({});
    Request r;
    p.feed(text);
    EXPECT_EQ(p.next(&r), Status::bad_request) << text;
    EXPECT_EQ(p.next(&r), Status::bad_request);  // stays failed
  }
}

}  // namespace
}  // namespace herald::http
