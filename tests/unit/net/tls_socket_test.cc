// TlsSocket over real loopback TCP: handshake, large writes in both
// directions, how a peer's close is reported, and a failed handshake.
#include "net/tls_socket.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace herald::net {
namespace {

namespace fs = std::filesystem;

class TlsSocketTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/herald-tls-socket-XXXXXX";
    dir_ = new fs::path(mkdtemp(tmpl));
    std::string d = dir_->string();
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d +
        "/k.pem -out " + d + "/c.pem -days 1 -subj /CN=push.test >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
  }

  TlsSocketTest() : server_ctx_(asio::ssl::context::tls), client_ctx_(asio::ssl::context::tls) {
    server_ctx_.use_certificate_chain_file((*dir_ / "c.pem").string());
    server_ctx_.use_private_key_file((*dir_ / "k.pem").string(), asio::ssl::context::pem);
    client_ctx_.set_verify_mode(asio::ssl::verify_none);
    server = std::make_unique<TlsSocket>(io_, server_ctx_);
    client = std::make_unique<TlsSocket>(io_, client_ctx_);
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    client->lowest_layer().connect(acceptor.local_endpoint());
    acceptor.accept(server->lowest_layer());
  }

  // Handshakes both ends; true when both succeeded.
  bool handshake() {
    asio::error_code server_ec = asio::error::would_block, client_ec = asio::error::would_block;
    server->async_handshake(asio::ssl::stream_base::server,
                            [&](const asio::error_code& ec) { server_ec = ec; });
    client->async_handshake(asio::ssl::stream_base::client,
                            [&](const asio::error_code& ec) { client_ec = ec; });
    io_.run();
    io_.restart();
    EXPECT_FALSE(server_ec) << server_ec.message();
    EXPECT_FALSE(client_ec) << client_ec.message();
    return !server_ec && !client_ec;
  }

  // Reads until `want` bytes or an error; returns what was read.
  std::string read_all(TlsSocket& from, size_t want, asio::error_code* error) {
    auto got = std::make_shared<std::string>();
    auto buf = std::make_shared<std::array<char, 4096>>();
    std::function<void()> more = [&, got, buf] {
      from.async_read_some(asio::buffer(*buf), [&, got, buf](const asio::error_code& ec, size_t n) {
        got->append(buf->data(), n);
        if (ec) {
          *error = ec;
          return;
        }
        if (got->size() < want) more();
      });
    };
    more();
    io_.run();
    io_.restart();
    return *got;
  }

  static fs::path* dir_;
  asio::io_context io_;
  asio::ssl::context server_ctx_, client_ctx_;
  std::unique_ptr<TlsSocket> server, client;
};
fs::path* TlsSocketTest::dir_ = nullptr;

TEST_F(TlsSocketTest, LargeWritesArriveWholeInBothDirections) {
  ASSERT_TRUE(handshake());
  std::string big(300 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  size_t written = 0;
  client->async_write(asio::buffer(big), [&](const asio::error_code& ec, size_t n) {
    EXPECT_FALSE(ec) << ec.message();
    written = n;
  });
  const bool called_inline = written != 0;
  asio::error_code read_error;
  std::string got = read_all(*server, big.size(), &read_error);
  EXPECT_FALSE(called_inline);
  EXPECT_FALSE(read_error) << read_error.message();
  EXPECT_EQ(written, big.size());
  EXPECT_EQ(got, big);

  server->async_write(asio::buffer(std::string_view("pong")),
                      [](const asio::error_code& ec, size_t) { EXPECT_FALSE(ec); });
  EXPECT_EQ(read_all(*client, 4, &read_error), "pong");
}

TEST_F(TlsSocketTest, PeerClosingWithoutCloseNotifyIsStreamTruncated) {
  ASSERT_TRUE(handshake());
  // FIN without close_notify (a close() could turn into a reset: the
  // client has the server's session tickets unread).
  client->lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_send);
  asio::error_code error;
  read_all(*server, 1, &error);
  EXPECT_EQ(error, asio::ssl::error::stream_truncated) << error.message();
}

TEST_F(TlsSocketTest, CloseNotifyIsEof) {
  ASSERT_TRUE(handshake());
  EXPECT_GE(SSL_shutdown(client->native_handle()), 0);  // sends close_notify
  asio::error_code error;
  read_all(*server, 1, &error);
  EXPECT_EQ(error, asio::error::eof) << error.message();
}

TEST_F(TlsSocketTest, PlainTextInsteadOfAClientHelloFailsTheHandshake) {
  asio::write(client->next_layer(), asio::buffer(std::string_view("<stream:stream>\r\n\r\n")));
  asio::error_code result = asio::error::would_block;
  server->async_handshake(asio::ssl::stream_base::server,
                          [&](const asio::error_code& ec) { result = ec; });
  io_.run();
  EXPECT_TRUE(result);
  EXPECT_EQ(result.category(), asio::error::get_ssl_category()) << result.message();
}

}  // namespace
}  // namespace herald::net
