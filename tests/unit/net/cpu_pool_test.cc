#include "net/cpu_pool.h"

#include <gtest/gtest.h>

#include <asio/executor_work_guard.hpp>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "net/loop_pool.h"

namespace herald::net {
namespace {

using namespace std::chrono_literals;

TEST(CpuPool, WorkRunsOffTheLoopAndTheResultComesBackOnIt) {
  LoopPool loops(2);
  loops.start();
  CpuPool cpu(2, 10);
  std::promise<void> finished;
  std::thread::id worker;
  bool done_on_loop = false;
  int value = 0;
  loops.post(1, [&] {
    cpu.run<int>(
        loops.loop(1).get_executor(),
        [&]() -> Result<int> {
          worker = std::this_thread::get_id();
          EXPECT_EQ(loops.current(), std::nullopt) << "not on an event loop";
          return 42;
        },
        [&](Result<int> r) {
          done_on_loop = loops.on_loop(1);
          value = r.ok() ? *r : -1;
          finished.set_value();
        });
  });
  ASSERT_EQ(finished.get_future().wait_for(2s), std::future_status::ready);
  EXPECT_TRUE(done_on_loop);
  EXPECT_EQ(value, 42);
  EXPECT_NE(worker, std::thread::id());
}

// Results arrive from another thread: keep the io_context from running out
// of work (and stopping) before they do.
struct Loop {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
};

TEST(CpuPool, AFailureIsPassedBackAsItsStatus) {
  Loop loop;
  asio::io_context& io = loop.io;
  CpuPool cpu(1, 10);
  std::optional<Status> got;
  cpu.run<int>(
      io.get_executor(), []() -> Result<int> { return Invalid("bad password form"); },
      [&](Result<int> r) { got = r.status(); });
  while (!got) io.run_one_for(10ms);
  EXPECT_TRUE(got->is(StatusCode::invalid));
}

TEST(CpuPool, AFullQueueAnswersUnavailableWithoutBlocking) {
  Loop loop;
  asio::io_context& io = loop.io;
  CpuPool cpu(1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> started{false};
  int ok = 0, refused = 0, other = 0;
  auto count = [&](Result<int> r) {
    if (r.ok()) ++ok;
    else if (r.status().is(StatusCode::unavailable)) ++refused;
    else ++other;
  };
  // The one worker blocks on the first job; two more fill the queue.
  cpu.run<int>(io.get_executor(), [&]() -> Result<int> {
    started = true;
    released.wait();
    return 1;
  }, count);
  while (!started) std::this_thread::sleep_for(1ms);
  cpu.run<int>(io.get_executor(), []() -> Result<int> { return 2; }, count);
  cpu.run<int>(io.get_executor(), []() -> Result<int> { return 3; }, count);
  EXPECT_EQ(cpu.queued(), 2u);
  cpu.run<int>(io.get_executor(), []() -> Result<int> { return 4; }, count);
  EXPECT_EQ(refused, 0) << "done is posted, never called inside run()";
  io.poll();
  EXPECT_EQ(refused, 1);
  release.set_value();
  while (ok < 3) io.run_one_for(10ms);
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(other, 0);
}

TEST(CpuPool, StopCompletesQueuedJobsAndWaitsForRunningOnes) {
  asio::io_context io;
  auto cpu = std::make_unique<CpuPool>(1, 10);
  std::atomic<bool> started{false};
  std::atomic<bool> running_finished{false};
  int ok = 0, refused = 0;
  auto count = [&](Result<int> r) { r.ok() ? ++ok : ++refused; };
  cpu->run<int>(io.get_executor(), [&]() -> Result<int> {
    started = true;
    std::this_thread::sleep_for(100ms);
    running_finished = true;
    return 1;
  }, count);
  while (!started) std::this_thread::sleep_for(1ms);
  for (int i = 0; i < 3; ++i)
    cpu->run<int>(io.get_executor(), []() -> Result<int> { return 2; }, count);
  cpu->stop();
  EXPECT_TRUE(running_finished) << "stop() waited for the running job";
  cpu->run<int>(io.get_executor(), []() -> Result<int> { return 3; }, count);
  io.poll();
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(refused, 4) << "three queued, one after stop";
  cpu.reset();  // a second stop() in the destructor is harmless
}

}  // namespace
}  // namespace herald::net
