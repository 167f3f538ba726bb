#include "net/post_once.h"

#include <gtest/gtest.h>

namespace herald::net {
namespace {

TEST(PostOnce, RequestsBeforeItRunsShareOneRunAfterTheCurrentHandler) {
  asio::io_context io;
  PostOnce later;
  int runs = 0;
  for (int i = 0; i < 3; ++i) later.request(io, [&] { ++runs; });
  EXPECT_EQ(runs, 0) << "deferred, not run inside request()";
  io.poll();
  EXPECT_EQ(runs, 1);

  later.request(io, [&] { ++runs; });  // after the run: a new one
  io.restart();
  io.poll();
  EXPECT_EQ(runs, 2);
}

TEST(PostOnce, WorkMayRequestAgainForTheNextPass) {
  asio::io_context io;
  PostOnce later;
  int runs = 0;
  std::function<void()> work = [&] {
    if (++runs < 3) later.request(io, work);
  };
  later.request(io, work);
  io.run();
  EXPECT_EQ(runs, 3);
}

}  // namespace
}  // namespace herald::net
