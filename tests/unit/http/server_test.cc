#include "http/server.h"

#include <gtest/gtest.h>

#include <asio/ssl.hpp>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace herald::http {
namespace {

using asio::ip::tcp;

struct Reply {
  int status = 0;
  std::string head;
  std::string body;
};

// Reads one response (Content-Length framed) from a blocking stream.
template <typename Stream>
Reply read_reply(Stream& s, std::string& buffer) {
  std::error_code ec;
  size_t end = asio::read_until(s, asio::dynamic_buffer(buffer), "\r\n\r\n", ec);
  if (ec) return {};
  Reply r;
  r.head = buffer.substr(0, end);
  r.status = std::stoi(r.head.substr(9, 3));
  auto cl = r.head.find("Content-Length: ");
  size_t length = std::stoul(r.head.substr(cl + 16));
  buffer.erase(0, end);
  if (buffer.size() < length)
    asio::read(s, asio::dynamic_buffer(buffer), asio::transfer_exactly(length - buffer.size()), ec);
  r.body = buffer.substr(0, length);
  buffer.erase(0, length);
  return r;
}

template <typename Stream>
bool at_eof(Stream& s) {
  char c;
  std::error_code ec;
  s.read_some(asio::buffer(&c, 1), ec);
  return bool(ec);
}

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions o) {
    router_.add("GET", "/hello", [](const Request& r) {
      Response out;
      out.body = "hello " + std::string(r.remote_address.empty() ? "nobody" : "someone");
      return out;
    });
    router_.add("POST", "/echo", [](const Request& r) {
      Response out;
      out.content_type = "application/json";
      out.body = r.body;
      return out;
    });
    // Answers later, as a handler waiting on a store does; "never" does not.
    router_.add_async("GET", "/later", [this](const Request&, Router::Respond respond) {
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([timer, respond](std::error_code) { respond(text_response(200, "later")); });
    });
    router_.add_async("GET", "/never", [](const Request&, Router::Respond) {});
    o.listen = {"127.0.0.1:0"};
    server_ = std::make_unique<Server>(io_, o, router_);
    server_->start();
    port_ = server_->local_endpoints().at(0).port();
    guard_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (thread_.joinable()) {
      asio::post(io_, [this] {
        server_->stop();
        guard_.reset();
      });
      thread_.join();
    }
  }
  tcp::socket connect() {
    tcp::socket s(client_io_);
    s.connect({asio::ip::make_address("127.0.0.1"), port_});
    return s;
  }

  asio::io_context io_;
  asio::io_context client_io_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(ServerTest, KeepAliveAndRouting) {
  start({});
  auto s = connect();
  std::string buf;
  asio::write(s, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")));
  Reply a = read_reply(s, buf);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "hello someone");
  // Same connection: a POST, a 404 and a 405, pipelined.
  asio::write(s, asio::buffer(std::string(
                     "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                     "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  Reply b = read_reply(s, buf);
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, "{}");
  EXPECT_NE(b.head.find("Content-Type: application/json"), std::string::npos);
  EXPECT_EQ(read_reply(s, buf).status, 404);
  Reply c = read_reply(s, buf);
  EXPECT_EQ(c.status, 405);
  EXPECT_NE(c.head.find("Allow: POST"), std::string::npos);
  EXPECT_NE(c.head.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(at_eof(s));
}

// An asynchronous handler answers after the request's handler returned; a
// pipelined request behind it waits its turn; one that never answers gets
// 503 at the read timeout and its connection is closed.
TEST_F(ServerTest, AsynchronousHandlersAnswerInOrderOrTimeOut) {
  ServerOptions o;
  o.read_timeout = std::chrono::milliseconds(500);
  start(o);
  auto s = connect();
  std::string buf;
  asio::write(s, asio::buffer(std::string("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"
                                          "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")));
  Reply a = read_reply(s, buf);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "later\n");
  EXPECT_EQ(read_reply(s, buf).body, "hello someone");
  auto t = connect();
  std::string tbuf;
  auto t0 = std::chrono::steady_clock::now();
  asio::write(t, asio::buffer(std::string("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_EQ(read_reply(t, tbuf).status, 503);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(400));
  EXPECT_TRUE(at_eof(t));
}

TEST_F(ServerTest, LimitsAnsweredWithClearStatus) {
  ServerOptions o;
  o.limits = {512, 16};
  start(o);
  struct Case {
    std::string request;
    int status;
    std::string body;
  } cases[] = {
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n01234567890123456", 413,
       "request body too large\n"},
      {"GET /hello HTTP/1.1\r\nX: " + std::string(600, 'a') + "\r\n\r\n", 431,
       "request header too large\n"},
      {"NOT HTTP\r\n\r\n", 400, "malformed request\n"},
  };
  for (auto& c : cases) {
    auto s = connect();
    std::string buf;
    asio::write(s, asio::buffer(c.request));
    Reply r = read_reply(s, buf);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.body, c.body);
    EXPECT_TRUE(at_eof(s)) << c.status;
  }
}

TEST_F(ServerTest, ReadTimeout) {
  ServerOptions o;
  o.read_timeout = std::chrono::milliseconds(200);
  start(o);
  auto partial = connect();
  asio::write(partial, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHo")));
  std::string buf;
  Reply r = read_reply(partial, buf);
  EXPECT_EQ(r.status, 408);
  EXPECT_TRUE(at_eof(partial));
  auto idle = connect();  // nothing sent: closed without a word
  EXPECT_TRUE(at_eof(idle));
}

TEST_F(ServerTest, ConnectionLimit) {
  ServerOptions o;
  o.max_connections = 1;
  start(o);
  auto first = connect();
  std::string buf1, buf2;
  asio::write(first, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_EQ(read_reply(first, buf1).status, 200);
  auto second = connect();
  asio::write(second, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")));
  Reply r = read_reply(second, buf2);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("too many connections"), std::string::npos);
  first.close();
}

TEST_F(ServerTest, Tls12OrLater) {
  auto dir = std::filesystem::temp_directory_path() /
             ("herald-http-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string cert = (dir / "c.pem").string(), key = (dir / "k.pem").string();
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                    "-keyout " + key + " -out " + cert + " -days 1 -subj /CN=localhost 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ServerOptions o;
  o.certificate = cert;
  o.key = key;
  start(o);
  EXPECT_TRUE(server_->tls());

  asio::ssl::context ctx(asio::ssl::context::tls_client);
  asio::ssl::stream<tcp::socket> s(connect(), ctx);
  s.handshake(asio::ssl::stream_base::client);
  EXPECT_GE(SSL_version(s.native_handle()), TLS1_2_VERSION);
  std::string buf;
  asio::write(s, asio::buffer(std::string("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_EQ(read_reply(s, buf).body, "hello someone");

  asio::ssl::context old(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(old.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old.native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_security_level(old.native_handle(), 0);
  asio::ssl::stream<tcp::socket> legacy(connect(), old);
  std::error_code ec;
  legacy.handshake(asio::ssl::stream_base::client, ec);
  EXPECT_TRUE(ec) << "TLS 1.1 was accepted";
  std::filesystem::remove_all(dir);
}

TEST(ServerConfig, BadTlsFilesAndAddresses) {
  asio::io_context io;
  Router router;
  ServerOptions o;
  o.certificate = "/nonexistent/cert.pem";
  EXPECT_THROW(Server(io, o, router), std::runtime_error);  // key missing
  o.key = "/nonexistent/key.pem";
  EXPECT_THROW(Server(io, o, router), std::runtime_error);
  ServerOptions plain;
  plain.listen = {"not-an-ip:80"};
  Server s(io, plain, router);
  EXPECT_THROW(s.start(), std::runtime_error);
}

}  // namespace
}  // namespace herald::http
