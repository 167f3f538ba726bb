// The certificates a configuration has Herald serve, each with the
// configuration key that names its file and the domains it must cover:
//   s2s.certificate                    the push domain
//   s2s.certificates[i].certificate    each domain the entry lists
//   turn.certificate                   turn.domain (default: the push domain), [turn] on
//   v1.certificate                     dates only, [v1] on
// check-config turns each problem into an error (certificate_problems());
// serve keeps a CertificateWatch: at start, after each SIGHUP reload and
// once a day it reads them again, exports each one's expiry as
// herald_certificate_expiry_seconds{service, domain} (the configured
// domains: configuration, not user data) and logs a warning for one that
// expires within kExpiryWarning (an error once it has expired). Reading is
// a few small files, done on the event loop that rarely.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "apps/herald/config.h"
#include "base/metrics.h"
#include "net/periodic_job.h"

namespace herald::app {

inline constexpr std::chrono::days kExpiryWarning{14};

struct ServedCertificate {
  std::string service;               // "s2s", "turn", "v1" (a metric label)
  std::string key;                   // e.g. "s2s.certificates[1].certificate"
  std::string file;
  std::vector<std::string> domains;  // to be covered; empty: dates only
};

std::vector<ServedCertificate> served_certificates(const Config& config);

struct CertificateProblem {
  std::string key;      // the configuration key naming the file
  std::string message;  // "/etc/herald/push.crt expired on 2025-01-02 (3 days ago)"
  bool error = true;    // false: a warning (expires within kExpiryWarning)
};

// Every problem at `now`, one per certificate and domain: the file cannot
// be read, the certificate is expired or not yet valid, it does not cover a
// domain (errors), or it expires within kExpiryWarning (a warning).
std::vector<CertificateProblem> certificate_problems(const Config& config,
                                                     std::chrono::system_clock::time_point now);

class CertificateWatch {
 public:
  CertificateWatch(asio::io_context& io, const Config& config, metrics::Registry& registry);
  void start();  // checks now, then once a day
  void stop() { daily_.stop(); }
  void check();  // e.g. after a reload

 private:
  std::vector<ServedCertificate> served_;
  std::string push_domain_;
  metrics::Registry& registry_;
  net::PeriodicJob daily_;
};

}  // namespace herald::app
