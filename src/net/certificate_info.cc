#include "net/certificate_info.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "net/tls.h"

namespace herald::net {
namespace {

using Clock = CertificateInfo::Clock;

Clock::time_point to_time_point(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return Clock::from_time_t(timegm(&tm));
}

std::string asn1_text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     size_t(ASN1_STRING_length(s)));
}

std::vector<std::string> names_of(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      out.push_back(asn1_text(name->d.dNSName));
    } else if (name->type == GEN_OTHERNAME) {
      int nid = OBJ_obj2nid(name->d.otherName->type_id);
      const ASN1_TYPE* value = name->d.otherName->value;
      if (nid == NID_XmppAddr && value && value->type == V_ASN1_UTF8STRING)
        out.push_back(asn1_text(value->value.utf8string));
      else if (nid == NID_SRVName && value && value->type == V_ASN1_IA5STRING)
        out.push_back(asn1_text(value->value.ia5string));
    }
  }
  GENERAL_NAMES_free(names);
  if (out.empty()) {
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0)
      out.emplace_back(cn);
  }
  return out;
}

std::string days_text(long days) {
  return days == 1 ? "1 day" : std::to_string(days) + " days";
}

}  // namespace

bool CertificateInfo::covers(std::string_view domain) const {
  return leaf_ && certificate_names_domain(leaf_.get(), std::string(domain));
}

Result<CertificateInfo> read_certificate(const std::string& pem_file) {
  FILE* f = std::fopen(pem_file.c_str(), "r");
  if (!f) {
    int error = errno;
    // The same words as check-config's other file checks.
    if (error == ENOENT) return NotFound("no such file");
    return Invalid(std::string("cannot be read: ") + std::strerror(error));
  }
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ERR_clear_error();
  if (!cert) return Invalid("holds no PEM certificate");
  CertificateInfo info;
  info.leaf_.reset(cert, X509_free);
  info.not_before_ = to_time_point(X509_get0_notBefore(cert));
  info.not_after_ = to_time_point(X509_get0_notAfter(cert));
  info.names_ = names_of(cert);
  return info;
}

int days_left(const CertificateInfo& info, Clock::time_point now) {
  return int(std::chrono::floor<std::chrono::days>(info.not_after() - now).count());
}

std::string utc_date(Clock::time_point t) {
  std::time_t seconds = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[16];
  std::strftime(out, sizeof out, "%Y-%m-%d", &tm);
  return out;
}

Status certificate_problem(const CertificateInfo& info, std::string_view domain,
                           Clock::time_point now) {
  if (now >= info.not_after()) {
    long ago = std::chrono::floor<std::chrono::days>(now - info.not_after()).count();
    return Invalid("expired on " + utc_date(info.not_after()) +
                   (ago == 0 ? " (today)" : " (" + days_text(ago) + " ago)"));
  }
  if (now < info.not_before())
    return Invalid("is not valid before " + utc_date(info.not_before()));
  if (!domain.empty() && !info.covers(domain)) {
    std::string names;
    for (const auto& n : info.names()) names += (names.empty() ? "" : ", ") + n;
    return Invalid("is for " + (names.empty() ? std::string("no name") : names) + ", not " +
                   std::string(domain));
  }
  return Status::Ok();
}

}  // namespace herald::net
