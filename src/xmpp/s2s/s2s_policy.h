// Admin controls of the s2s transport that do not depend on a connection:
// which peer domains may federate, and a per-domain rate of IQ requests.
//
// Contract: plain logic, no I/O, single-threaded. Domains are compared in
// lowercase. The rate limiter is a token bucket per domain (rate per second,
// capacity `burst`), fed by the caller's clock so tests control time; idle
// buckets are forgotten so that the map stays small.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "xmpp/s2s/s2s_config.h"

namespace herald::xmpp {

class S2sPolicy {
 public:
  using Clock = std::chrono::steady_clock;

  explicit S2sPolicy(const S2sConfig& config);

  // deny_domains wins; a non-empty allow_domains lists the only allowed ones.
  bool domain_allowed(std::string_view domain) const;
  // Takes one token from `domain`'s bucket if it has one.
  bool admit_request(std::string_view domain, Clock::time_point now = Clock::now());
  size_t tracked_domains() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  std::set<std::string, std::less<>> allow_;
  std::set<std::string, std::less<>> deny_;
  double rate_;
  double burst_;
  std::map<std::string, Bucket, std::less<>> buckets_;
  Clock::time_point last_sweep_{};
};

}  // namespace herald::xmpp
