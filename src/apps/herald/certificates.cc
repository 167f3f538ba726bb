#include "apps/herald/certificates.h"

#include "base/log.h"
#include "net/certificate_info.h"

namespace herald::app {

std::vector<ServedCertificate> served_certificates(const Config& c) {
  std::vector<ServedCertificate> out;
  if (!c.certificate.empty()) out.push_back({"s2s", "s2s.certificate", c.certificate, {c.domain}});
  for (size_t i = 0; i < c.s2s_certificates.size(); ++i)
    out.push_back({"s2s", "s2s.certificates[" + std::to_string(i) + "].certificate",
                   c.s2s_certificates[i].certificate, c.s2s_certificates[i].domains});
  if (c.turn.enabled && !c.turn.certificate.empty())
    out.push_back({"turn", "turn.certificate", c.turn.certificate,
                   {c.turn.domain.empty() ? c.domain : c.turn.domain}});
  if (c.v1.enabled && !c.v1.certificate.empty())
    out.push_back({"v1", "v1.certificate", c.v1.certificate, {}});
  return out;
}

std::vector<CertificateProblem> certificate_problems(const Config& config,
                                                     std::chrono::system_clock::time_point now) {
  std::vector<CertificateProblem> out;
  for (const auto& served : served_certificates(config)) {
    auto info = net::read_certificate(served.file);
    if (!info.ok()) {
      out.push_back({served.key, served.file + ": " + info.status().message()});
      continue;
    }
    // The dates once; the names per domain.
    if (Status dates = net::certificate_problem(*info, "", now); !dates.ok()) {
      out.push_back({served.key, served.file + " " + dates.message()});
      continue;
    }
    for (const auto& domain : served.domains)
      if (Status names = net::certificate_problem(*info, domain, now); !names.ok())
        out.push_back({served.key, served.file + " " + names.message()});
    int left = net::days_left(*info, now);
    if (left < kExpiryWarning.count())
      out.push_back({served.key,
                     served.file + " expires in " + std::to_string(left) + " day(s), on " +
                         net::utc_date(info->not_after()),
                     false});
  }
  return out;
}

CertificateWatch::CertificateWatch(asio::io_context& io, const Config& config,
                                   metrics::Registry& registry)
    : served_(served_certificates(config)),
      push_domain_(config.domain),
      registry_(registry),
      daily_(io, std::chrono::hours(24), [this] { check(); }) {}

void CertificateWatch::start() {
  check();
  daily_.start();
}

void CertificateWatch::check() {
  auto now = std::chrono::system_clock::now();
  for (const auto& served : served_) {
    auto info = net::read_certificate(served.file);
    if (!info.ok()) {
      log::error("certificate {} ({}): {}", served.key, served.file, info.status().message());
      continue;
    }
    double expiry = double(std::chrono::duration_cast<std::chrono::seconds>(
                               info->not_after().time_since_epoch())
                               .count());
    std::vector<std::string> labels = served.domains;
    if (labels.empty()) labels.push_back(push_domain_);
    for (const auto& domain : labels)
      registry_
          .gauge("herald_certificate_expiry_seconds",
                 "When each certificate Herald serves expires (Unix time), by service and "
                 "configured domain.",
                 {"service", "domain"}, {served.service, domain})
          .set(expiry);
    int left = net::days_left(*info, now);
    if (now >= info->not_after())
      log::error("certificate {} ({}) expired on {}: peers refuse it", served.key, served.file,
                 net::utc_date(info->not_after()));
    else if (left < kExpiryWarning.count())
      log::warn("certificate {} ({}) expires in {} day(s), on {}: renew it, then SIGHUP",
                served.key, served.file, left, net::utc_date(info->not_after()));
  }
}

}  // namespace herald::app
