// Runs one piece of housekeeping on the event loop every `interval`, until
// stopped (housekeeping such as purges, flushes and log retention).
// The first run is one interval after start(); callers that want a run at
// start call the work themselves first. Owned by whoever owns the work, and
// must not outlive the io_context.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>

namespace herald::net {

class PeriodicJob {
 public:
  PeriodicJob(asio::io_context& io, std::chrono::steady_clock::duration interval,
              std::function<void()> work)
      : timer_(io), interval_(interval), work_(std::move(work)) {}
  PeriodicJob(const PeriodicJob&) = delete;
  PeriodicJob& operator=(const PeriodicJob&) = delete;

  void start();
  void stop() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
  std::chrono::steady_clock::duration interval_;
  std::function<void()> work_;
};

}  // namespace herald::net
