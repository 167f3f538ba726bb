// What a certificate file says about itself, for configuration checks,
// expiry warnings and metrics: when its leaf is valid and which names it
// covers. The push service checks what it serves with it (s2s, the TURN
// API, v1's HTTPS); the home server checks its hosts' certificates the same
// way.
//
// Contract: read_certificate() reads the first certificate of a PEM file
// (the leaf of a chain) with plain file I/O; call it at start-up, on a
// reload, once a day or from a command, never per connection. covers()
// applies the s2s name rules of certificate_names_domain() (net/tls.h).
// certificate_problem() says in one plain sentence why a certificate must
// not be served for a domain at a time: not yet valid, expired, or not
// naming the domain (it lists what it names). Messages name the file's
// content, never its bytes.
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
  // DNS names and XMPP addresses of the subjectAltName (SRV-IDs as
  // "_xmpp-server.domain"), or the subject CN when there are none.
  const std::vector<std::string>& names() const { return names_; }
  bool covers(std::string_view domain) const;

 private:
  friend Result<CertificateInfo> read_certificate(const std::string& pem_file);
  std::shared_ptr<X509> leaf_;
  Clock::time_point not_before_, not_after_;
  std::vector<std::string> names_;
};

// not_found: the file does not exist; invalid: it is unreadable or holds
// no PEM certificate.
Result<CertificateInfo> read_certificate(const std::string& pem_file);

// ok, or invalid with a sentence such as "expired on 2025-01-02 (3 days
// ago)" or "is for a.example, b.example, not push.example.org". An empty
// `domain` checks the dates only.
Status certificate_problem(const CertificateInfo& info, std::string_view domain,
                           CertificateInfo::Clock::time_point now);

// Whole days from `now` until the certificate expires (negative once it has).
int days_left(const CertificateInfo& info, CertificateInfo::Clock::time_point now);

// "2025-01-02", UTC.
std::string utc_date(CertificateInfo::Clock::time_point t);

}  // namespace herald::net
