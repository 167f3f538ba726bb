#include "net/loop_pool.h"

#include <gtest/gtest.h>

#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace herald::net {
namespace {

using namespace std::chrono_literals;

TEST(LoopPool, ZeroMeansOnePerCore) {
  LoopPool pool(0);
  EXPECT_EQ(pool.size(), default_loop_count());
  EXPECT_GE(pool.size(), 1u);
}

TEST(LoopPool, EachLoopRunsOnItsOwnThreadAndKnowsItsIndex) {
  LoopPool pool(3);
  pool.start();
  std::mutex mu;
  std::set<std::thread::id> threads;
  for (size_t i = 0; i < pool.size(); ++i) {
    std::promise<std::optional<size_t>> seen;
    auto got = seen.get_future();
    pool.post(i, [&, i] {
      {
        std::lock_guard lock(mu);
        threads.insert(std::this_thread::get_id());
      }
      EXPECT_TRUE(pool.on_loop(i));
      seen.set_value(pool.current());
    });
    ASSERT_EQ(got.wait_for(2s), std::future_status::ready);
    EXPECT_EQ(got.get(), i);
  }
  EXPECT_EQ(threads.size(), 3u);
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
  EXPECT_EQ(pool.current(), std::nullopt) << "the test's thread runs no loop";
}

TEST(LoopPool, AnotherPoolsLoopIsNotOurs) {
  LoopPool a(1), b(1);
  a.start();
  std::promise<std::pair<std::optional<size_t>, std::optional<size_t>>> seen;
  a.post(0, [&] { seen.set_value({a.current(), b.current()}); });
  auto [mine, theirs] = seen.get_future().get();
  EXPECT_EQ(mine, 0u);
  EXPECT_EQ(theirs, std::nullopt);
}

TEST(LoopPool, WorkCrossesLoopsAsPostedHandlers) {
  LoopPool pool(4);
  pool.start();
  // A token passed round the loops: each hop runs on the loop it was sent to.
  constexpr int kHops = 1000;
  std::atomic<int> wrong{0};
  std::promise<void> finished;
  std::function<void(int)> hop = [&](int n) {
    if (!pool.on_loop(size_t(n) % pool.size())) ++wrong;
    if (n == kHops) return finished.set_value();
    pool.post(size_t(n + 1) % pool.size(), [&, n] { hop(n + 1); });
  };
  pool.post(0, [&] { hop(0); });
  ASSERT_EQ(finished.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(LoopPool, ReleaseLetsEachLoopFinishItsWork) {
  LoopPool pool(2);
  std::atomic<int> ran{0};
  // Posted before start(): the loops exist from construction.
  for (int i = 0; i < 10; ++i) pool.post(size_t(i) % 2, [&] { ++ran; });
  asio::steady_timer timer(pool.loop(1), 50ms);
  timer.async_wait([&](std::error_code ec) {
    if (!ec) ++ran;
  });
  pool.start();
  pool.release();
  pool.join();
  EXPECT_EQ(ran.load(), 11) << "the timer's handler ran before its loop ended";
}

TEST(LoopPool, StopEndsLoopsThatStillHaveWork) {
  LoopPool pool(2);
  asio::steady_timer timer(pool.loop(0), 1h);
  bool fired = false;
  timer.async_wait([&](std::error_code ec) { fired = !ec; });
  pool.start();
  auto t0 = std::chrono::steady_clock::now();
  pool.stop();
  pool.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace herald::net
