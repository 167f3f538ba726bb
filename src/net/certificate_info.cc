#include "net/certificate_info.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "net/tls.h"

namespace herald::net {
namespace {

CertificateInfo::Clock::time_point to_time(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return CertificateInfo::Clock::from_time_t(timegm(&tm));
}

std::vector<std::string> dns_names(X509* cert) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
      if (n->type != GEN_DNS) continue;
      const unsigned char* data = ASN1_STRING_get0_data(n->d.dNSName);
      names.emplace_back(reinterpret_cast<const char*>(data), ASN1_STRING_length(n->d.dNSName));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0)
      names.emplace_back(cn);
  }
  return names;
}

}  // namespace

bool CertificateInfo::covers(std::string_view domain) const {
  return leaf_ && certificate_names_domain(leaf_.get(), std::string(domain));
}

Result<CertificateInfo> read_certificate(const std::string& pem_file) {
  std::error_code ec;
  if (!std::filesystem::exists(pem_file, ec)) return NotFound("no such file");
  FILE* f = std::fopen(pem_file.c_str(), "r");
  if (!f) return Invalid("cannot be read");
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!cert) return Invalid("holds no PEM certificate");
  CertificateInfo info;
  info.leaf_.reset(cert, X509_free);
  info.not_before_ = to_time(X509_get0_notBefore(cert));
  info.not_after_ = to_time(X509_get0_notAfter(cert));
  info.names_ = dns_names(cert);
  return info;
}

std::string utc_date(CertificateInfo::Clock::time_point t) {
  std::time_t s = CertificateInfo::Clock::to_time_t(t);
  struct tm tm {};
  gmtime_r(&s, &tm);
  char out[16];
  std::strftime(out, sizeof out, "%Y-%m-%d", &tm);
  return out;
}

Status certificate_problem(const CertificateInfo& info, std::string_view domain,
                           CertificateInfo::Clock::time_point now) {
  if (now < info.not_before()) return Invalid("is not valid before " + utc_date(info.not_before()));
  if (now > info.not_after()) return Invalid("expired on " + utc_date(info.not_after()));
  if (!domain.empty() && !info.covers(domain)) {
    std::string names;
    for (const auto& n : info.names()) names += (names.empty() ? "" : ", ") + n;
    return Invalid("is for " + (names.empty() ? std::string("no name") : names) + ", not " +
                   std::string(domain));
  }
  return Status::Ok();
}

}  // namespace herald::net
