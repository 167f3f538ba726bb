// What a certificate file says about itself, for configuration checks:
// when its leaf is valid and whether it names a domain. (An engineer's
// branch adds the same interface for herald's checks; one implementation
// is kept when both are merged.)
//
// Contract: read_certificate() reads the first certificate of a PEM file
// (the leaf of a chain); call it at start-up, on a reload or from a
// command, never per connection. covers() applies the XMPP name rules of
// certificate_names_domain() (net/tls.h). certificate_problem() says in one
// sentence why a certificate must not be served for a domain now: not yet
// valid, expired, or not naming the domain.
#pragma once

#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace herald::net {

class CertificateInfo {
 public:
  using Clock = std::chrono::system_clock;

  Clock::time_point not_before() const { return not_before_; }
  Clock::time_point not_after() const { return not_after_; }
  // subjectAltName DNS names, or the subject CN when there are none.
  const std::vector<std::string>& names() const { return names_; }
  bool covers(std::string_view domain) const;

 private:
  friend Result<CertificateInfo> read_certificate(const std::string& pem_file);
  std::shared_ptr<X509> leaf_;
  Clock::time_point not_before_, not_after_;
  std::vector<std::string> names_;
};

// not_found: no such file; invalid: unreadable, or no PEM certificate in it.
Result<CertificateInfo> read_certificate(const std::string& pem_file);

// ok, or invalid with a sentence ("expired on 2025-01-02", "is for
// a.example, not b.example"). An empty `domain` checks the dates only.
Status certificate_problem(const CertificateInfo& info, std::string_view domain,
                           CertificateInfo::Clock::time_point now);

// "2025-01-02", UTC.
std::string utc_date(CertificateInfo::Clock::time_point t);

}  // namespace herald::net
