#include "apps/herald/status/minute_ring.h"

#include <algorithm>

namespace herald::app::status {
namespace {

int64_t minute_of(MinuteRing::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count();
}

// A reason code map stays small: reasons are counted per bucket, and an
// hour of unusual upstream answers must not grow it without bound.
constexpr size_t kMaxReasonsPerMinute = 16;

}  // namespace

MinuteRing::Bucket& MinuteRing::at(Clock::time_point now) {
  int64_t m = minute_of(now);
  Bucket& b = buckets_[size_t(((m % kMinutes) + kMinutes) % kMinutes)];
  if (b.minute != m) {
    b = Bucket{};
    b.minute = m;
  }
  return b;
}

void MinuteRing::push_sent(Clock::time_point now, bool delivered, const std::string& reason) {
  Bucket& b = at(now);
  ++b.pushes;
  if (delivered) {
    ++b.delivered;
    return;
  }
  if (b.errors.size() >= kMaxReasonsPerMinute && !b.errors.contains(reason))
    ++b.errors["other"];
  else
    ++b.errors[reason];
}

void MinuteRing::iq_latency(Clock::time_point now, double seconds) {
  Bucket& b = at(now);
  b.iq_sum += seconds;
  b.iq_max = std::max(b.iq_max, seconds);
  ++b.iq_count;
}

void MinuteRing::upstream_latency(Clock::time_point now, double seconds) {
  Bucket& b = at(now);
  b.upstream_sum += seconds;
  ++b.upstream_count;
}

nlohmann::json MinuteRing::to_json(Clock::time_point now) const {
  int64_t current = minute_of(now);
  nlohmann::json minutes = nlohmann::json::array();
  for (int64_t m = current - kMinutes + 1; m <= current; ++m) {
    const Bucket& b = buckets_[size_t(((m % kMinutes) + kMinutes) % kMinutes)];
    nlohmann::json entry{{"t", m * 60}, {"pushes", 0}, {"delivered", 0},
                         {"errors", nlohmann::json::object()}, {"iq_ms_avg", nullptr},
                         {"iq_ms_max", nullptr}, {"upstream_ms_avg", nullptr}};
    if (b.minute == m) {
      entry["pushes"] = b.pushes;
      entry["delivered"] = b.delivered;
      for (const auto& [reason, n] : b.errors) entry["errors"][reason] = n;
      if (b.iq_count) {
        entry["iq_ms_avg"] = 1000 * b.iq_sum / double(b.iq_count);
        entry["iq_ms_max"] = 1000 * b.iq_max;
      }
      if (b.upstream_count) entry["upstream_ms_avg"] = 1000 * b.upstream_sum / double(b.upstream_count);
    }
    minutes.push_back(std::move(entry));
  }
  return nlohmann::json{{"minutes", std::move(minutes)}};
}

}  // namespace herald::app::status
