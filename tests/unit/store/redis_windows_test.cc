// store::RedisWindows against a real redis-server started by each test (on a
// free loopback port, persistence off): the window steps, the script loaded
// again after SCRIPT FLUSH (NOSCRIPT), and the bounds when Redis is frozen
// (SIGSTOP) or gone: answers within the timeout, then at once until the
// retry interval, and Redis used again once it is back.
#include "store/redis_windows.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <filesystem>
#include <thread>

#include "test_support.h"

namespace herald::store {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// redis-server on 127.0.0.1 and a free port; skipped where it is not installed.
class RedisServer {
 public:
  RedisServer() {
    if (!std::filesystem::exists("/usr/bin/redis-server")) return;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    ::close(fd);
    start();
  }
  ~RedisServer() { stop(); }
  void start() {
    std::string p = std::to_string(port);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/usr/bin/redis-server", "redis-server", "--bind", "127.0.0.1", "--port", p.c_str(),
              "--save", "", "--appendonly", "no", "--dir", dir_.path().c_str(), "--loglevel",
              "warning", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready when it accepts.
    for (int i = 0; i < 200; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port);
      bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(fd);
      if (up) return;
      std::this_thread::sleep_for(20ms);
    }
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
  void freeze() { ::kill(pid_, SIGSTOP); }
  void thaw() { ::kill(pid_, SIGCONT); }
  bool available() const { return pid_ > 0; }
  uint16_t port = 0;

 private:
  testing::ScratchDir dir_;
  pid_t pid_ = 0;
};

class RedisWindowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!redis_.available()) GTEST_SKIP() << "redis-server is not installed";
    options_.host = "127.0.0.1";
    options_.port = redis_.port;
    options_.key_prefix = "test:";
    options_.timeout = 100ms;
    options_.retry_interval = 500ms;
    windows_ = std::make_unique<RedisWindows>(io_.get_executor(), options_);
  }

  std::optional<RedisWindows::Outcome> advance(const std::string& key,
                                               std::chrono::milliseconds window = 1000ms) {
    std::optional<std::optional<RedisWindows::Outcome>> out;
    windows_->advance(key, window, 200ms, [&](auto o) { out.emplace(o); });
    EXPECT_TRUE(testing::run_until(io_, [&] { return out.has_value(); }));
    return out ? *out : std::nullopt;
  }
  bool restart(const std::string& key) {
    std::optional<bool> out;
    windows_->restart(key, 1000ms, [&](bool ok) { out = ok; });
    EXPECT_TRUE(testing::run_until(io_, [&] { return out.has_value(); }));
    return out.value_or(false);
  }
  // One command through redis-cli, as another node would.
  void cli(const std::string& command) {
    std::string line = "redis-cli -h 127.0.0.1 -p " + std::to_string(redis_.port) + " " + command +
                       " >/dev/null 2>&1";
    ASSERT_EQ(std::system(line.c_str()), 0) << command;
  }

  RedisServer redis_;
  asio::io_context io_;
  RedisOptions options_;
  std::unique_ptr<RedisWindows> windows_;
};

TEST_F(RedisWindowsTest, OpenMarkAbsorbAndRestart) {
  auto a = advance("k");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->step, RedisWindows::Step::opened);
  auto b = advance("k");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->step, RedisWindows::Step::marked);
  EXPECT_GT(b->remaining, 500ms);
  EXPECT_LE(b->remaining, 1000ms);
  auto c = advance("k");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->step, RedisWindows::Step::already_marked);
  EXPECT_TRUE(restart("k"));
  auto d = advance("k");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->step, RedisWindows::Step::marked) << "restart opened a new window";
  EXPECT_EQ(advance("other")->step, RedisWindows::Step::opened);
}

// Many calls at once are pipelined and each gets its own answer, in order.
TEST_F(RedisWindowsTest, ManyCallsAtOnceEachAnswered) {
  std::vector<std::optional<RedisWindows::Outcome>> out(300);
  size_t answered = 0;
  for (size_t i = 0; i < out.size(); ++i)
    windows_->advance("key" + std::to_string(i % 100), 5000ms, 200ms, [&, i](auto o) {
      out[i] = o;
      ++answered;
    });
  ASSERT_TRUE(testing::run_until(io_, [&] { return answered == out.size(); }));
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out[i]) << i;
    auto want = i < 100   ? RedisWindows::Step::opened
                : i < 200 ? RedisWindows::Step::marked
                          : RedisWindows::Step::already_marked;
    EXPECT_EQ(out[i]->step, want) << i;
  }
}

// Redis forgot the script (a restart, SCRIPT FLUSH): NOSCRIPT, loaded again,
// the call still answered.
TEST_F(RedisWindowsTest, TheScriptIsLoadedAgainAfterNoscript) {
  ASSERT_TRUE(advance("k"));
  cli("SCRIPT FLUSH");
  auto b = advance("k");
  ASSERT_TRUE(b) << windows_->error();
  EXPECT_EQ(b->step, RedisWindows::Step::marked);
}

// Frozen (SIGSTOP): calls are answered `nullopt` within the timeout, then at
// once (before they return) until the retry interval; after SIGCONT Redis is
// used again.
TEST_F(RedisWindowsTest, AFrozenRedisCostsAtMostTheTimeoutThenNothing) {
  ASSERT_TRUE(advance("k"));
  redis_.freeze();
  auto t0 = Clock::now();
  std::vector<std::optional<std::optional<RedisWindows::Outcome>>> out(20);
  for (auto& o : out) windows_->advance("k", 1000ms, 200ms, [&o](auto r) { o.emplace(r); });
  ASSERT_TRUE(testing::run_until(io_, [&] {
    for (auto& o : out)
      if (!o) return false;
    return true;
  }));
  EXPECT_LT(Clock::now() - t0, options_.timeout + 50ms);
  for (auto& o : out) EXPECT_FALSE(*o);
  // The worker notices within its own timeout; then calls answer at once.
  ASSERT_TRUE(testing::run_until(io_, [&] { return windows_->down(); }, 2s));
  bool answered_inline = false;
  windows_->advance("k", 1000ms, 200ms, [&](auto o) { answered_inline = !o; });
  EXPECT_TRUE(answered_inline) << "while down, no trip to the worker";
  redis_.thaw();
  std::optional<RedisWindows::Outcome> back;
  auto end = Clock::now() + 5s;
  while (!back && Clock::now() < end) {
    back = advance("k2");
    if (!back) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(back) << windows_->error();
  EXPECT_EQ(back->step, RedisWindows::Step::opened);
}

TEST_F(RedisWindowsTest, AStoppedRedisIsAFailureAndARestartedOneServesAgain) {
  ASSERT_TRUE(advance("k"));
  redis_.stop();
  EXPECT_FALSE(advance("k"));
  EXPECT_FALSE(restart("k"));
  EXPECT_FALSE(windows_->error().empty());
  redis_.start();
  std::optional<RedisWindows::Outcome> back;
  auto end = Clock::now() + 5s;
  while (!back && Clock::now() < end) {
    back = advance("k");
    if (!back) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(back) << windows_->error();
  EXPECT_EQ(back->step, RedisWindows::Step::opened) << "a fresh Redis holds no windows";
}

}  // namespace
}  // namespace herald::store
