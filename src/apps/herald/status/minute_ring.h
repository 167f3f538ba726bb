// The last hour of push activity for the status page, in 60 per-minute
// buckets (a ring: a new minute reuses the bucket of the minute an hour
// ago). Holds counts only: pushes, errors by reason code, and latency sums;
// nothing that names a user. Single-threaded; the clock is passed in so
// tests control time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace herald::app::status {

class MinuteRing {
 public:
  using Clock = std::chrono::system_clock;
  static constexpr int kMinutes = 60;

  void push_sent(Clock::time_point now, bool delivered, const std::string& reason);
  // Publish received -> reply sent.
  void iq_latency(Clock::time_point now, double seconds);
  void upstream_latency(Clock::time_point now, double seconds);

  // {"minutes": [{"t": unix seconds of the minute's start, "pushes", "delivered",
  //   "errors": {reason: n}, "iq_ms_avg", "iq_ms_max", "upstream_ms_avg"}, ...]}
  // oldest first, always 60 entries ending with the current minute.
  nlohmann::json to_json(Clock::time_point now) const;

 private:
  struct Bucket {
    int64_t minute = -1;  // minutes since the epoch; -1: never used
    uint64_t pushes = 0;
    uint64_t delivered = 0;
    std::map<std::string, uint64_t> errors;
    double iq_sum = 0, iq_max = 0;
    uint64_t iq_count = 0;
    double upstream_sum = 0;
    uint64_t upstream_count = 0;
  };
  Bucket& at(Clock::time_point now);
  std::array<Bucket, kMinutes> buckets_;
};

}  // namespace herald::app::status
