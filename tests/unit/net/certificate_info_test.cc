// Certificate inspection for configuration checks, on certificates the
// openssl CLI makes (valid now, expired, not yet valid).
#include "net/certificate_info.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace herald::net {
namespace {

namespace fs = std::filesystem;
using Clock = CertificateInfo::Clock;

class CertificateInfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/herald-cert-info-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  // A self-signed certificate valid for 30 days from now.
  std::string make(const std::string& name, const std::string& san) {
    std::string crt = (dir_ / (name + ".crt")).string();
    std::string key = (dir_ / (name + ".key")).string();
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
                      key + " -out " + crt + " -days 30 -subj /CN=" + name +
                      (san.empty() ? "" : " -addext subjectAltName=" + san) + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return crt;
  }
  fs::path dir_;
};

TEST_F(CertificateInfoTest, AValidCertificateForItsDomain) {
  auto info = read_certificate(make("home", "DNS:home.example,DNS:*.home.example"));
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->names(), (std::vector<std::string>{"home.example", "*.home.example"}));
  EXPECT_TRUE(info->covers("home.example"));
  EXPECT_TRUE(info->covers("upload.home.example"));
  EXPECT_TRUE(certificate_problem(*info, "home.example", Clock::now()).ok());
  EXPECT_LT(info->not_before(), Clock::now());
  EXPECT_GT(info->not_after(), Clock::now() + std::chrono::hours(24 * 29));
}

TEST_F(CertificateInfoTest, WrongDomainExpiredAndNotYetValidAreProblems) {
  auto info = read_certificate(make("other", "DNS:other.example"));
  ASSERT_TRUE(info.ok());
  Status wrong = certificate_problem(*info, "home.example", Clock::now());
  EXPECT_TRUE(wrong.is(StatusCode::invalid));
  EXPECT_EQ(wrong.message(), "is for other.example, not home.example");
  Status expired = certificate_problem(*info, "", info->not_after() + std::chrono::hours(48));
  EXPECT_EQ(expired.message(), "expired on " + utc_date(info->not_after()));
  Status early = certificate_problem(*info, "", info->not_before() - std::chrono::hours(48));
  EXPECT_EQ(early.message().rfind("is not valid before ", 0), 0u) << early.message();
}

TEST_F(CertificateInfoTest, MissingAndNonCertificateFiles) {
  EXPECT_TRUE(read_certificate((dir_ / "none.crt").string()).status().is(StatusCode::not_found));
  std::ofstream((dir_ / "junk.crt").string()) << "not a certificate\n";
  EXPECT_TRUE(read_certificate((dir_ / "junk.crt").string()).status().is(StatusCode::invalid));
}

TEST(UtcDate, FormatsTheCalendarDayInUtc) {
  EXPECT_EQ(utc_date(Clock::from_time_t(0)), "1970-01-01");
  EXPECT_EQ(utc_date(Clock::from_time_t(1735689599)), "2024-12-31");
}

}  // namespace
}  // namespace herald::net
