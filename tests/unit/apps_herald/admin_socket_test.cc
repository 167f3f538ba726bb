// The admin socket (admin_socket.h) with its command-line client, on a real
// Unix socket: one line in, one line out; mode 0600; a socket file a killed
// process left is replaced; no server is "nothing runs", not an error.
#include "apps/herald/admin_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <thread>

namespace herald::app {
namespace {

class AdminSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "herald-adm-XXXXXX").string();
    ASSERT_TRUE(mkdtemp(tmpl.data()));
    dir_ = tmpl;
    path_ = admin_socket_path(dir_);
  }
  void TearDown() override {
    stop();
    std::filesystem::remove_all(dir_);
  }
  void start() {
    socket_ = std::make_unique<AdminSocket>(
        io_, path_,
        std::map<std::string, AdminSocket::Handler>{
            {"echo", [](std::string_view arg) { return "got " + std::string(arg); }}});
    socket_->start();
    guard_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      socket_->stop();
      guard_.reset();
    });
    thread_.join();
  }

  std::string dir_, path_;
  asio::io_context io_;
  std::unique_ptr<AdminSocket> socket_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_;
};

TEST_F(AdminSocketTest, OneLineInOneLineOutOwnerOnly) {
  start();
  auto answer = admin_request(path_, "echo hello there");
  ASSERT_TRUE(answer.ok()) << answer.status().to_string();
  EXPECT_EQ(answer->value_or("none"), "got hello there");
  EXPECT_EQ(admin_request(path_, "nonsense")->value_or("none"), "error unknown command");
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  stop();
  EXPECT_FALSE(std::filesystem::exists(path_)) << "removed when the server stops";
}

TEST_F(AdminSocketTest, NoServerIsNothingRunsNotAnError) {
  auto none = admin_request(path_, "echo x");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // A socket file whose process is gone: still nothing runs, and a new
  // server replaces it.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  ASSERT_TRUE(std::filesystem::exists(path_));
  none = admin_request(path_, "echo x");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  start();
  EXPECT_EQ(admin_request(path_, "echo again")->value_or("none"), "got again");
}

TEST_F(AdminSocketTest, ARequestWithoutALineGetsNoAnswerAndTheServerGoesOn) {
  start();
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string big(2048, 'x');  // longer than a request may be, and no newline
  (void)::send(fd, big.data(), big.size(), MSG_NOSIGNAL);
  char c;
  EXPECT_LE(::recv(fd, &c, 1, 0), 0) << "closed without an answer";
  ::close(fd);
  EXPECT_EQ(admin_request(path_, "echo still")->value_or("none"), "got still");
}

}  // namespace
}  // namespace herald::app
