#include "net/periodic_job.h"

#include <gtest/gtest.h>

#include <chrono>

namespace herald::net {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicJob, RunsEveryIntervalFromOneIntervalAfterStart) {
  asio::io_context io;
  int runs = 0;
  PeriodicJob job(io, 20ms, [&] { ++runs; });
  auto started = std::chrono::steady_clock::now();
  job.start();
  EXPECT_EQ(runs, 0) << "not at start";
  while (runs < 3) io.run_one();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 60ms);
}

TEST(PeriodicJob, StopEndsIt) {
  asio::io_context io;
  int runs = 0;
  PeriodicJob job(io, 5ms, [&] { ++runs; });
  job.start();
  while (runs < 1) io.run_one();
  job.stop();
  io.run();  // returns only when nothing is scheduled any more
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace herald::net
