// Reading a certificate's dates and names, and the one-sentence verdicts
// check-config prints: fixed-date fixtures (tests/fixtures/certificates)
// and certificates made by the openssl CLI in a temp dir.
#include "net/certificate_info.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace herald::net {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = CertificateInfo::Clock;

const std::string kFixtures = std::string(HERALD_FIXTURES_DIR) + "/certificates/";

Clock::time_point date(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days(std::chrono::year(y) / m / d);
}

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
  // A self-signed certificate valid for `days` from now.
  std::string make(const std::string& name, const std::string& san, int days = 2) {
    std::string d = dir_.string();
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                      "-keyout " + d + "/" + name + ".key -out " + d + "/" + name +
                      ".crt -days " + std::to_string(days) + " -subj /CN=someone -addext "
                      "'subjectAltName=" + san + "' >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return d + "/" + name + ".crt";
  }
  fs::path dir_;
};

TEST_F(CertificateInfoTest, DatesAndNames) {
  auto info = read_certificate(make("a", "DNS:push.example.org,DNS:*.example.net", 30));
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(info->names(), (std::vector<std::string>{"push.example.org", "*.example.net"}));
  EXPECT_TRUE(info->covers("push.example.org"));
  EXPECT_TRUE(info->covers("chat.example.net"));
  EXPECT_FALSE(info->covers("example.org"));
  auto now = Clock::now();
  EXPECT_LT(info->not_before(), now + 1min);
  int left = days_left(*info, now);
  EXPECT_TRUE(left == 29 || left == 30) << left;
  EXPECT_TRUE(certificate_problem(*info, "push.example.org", now).ok());
  EXPECT_TRUE(certificate_problem(*info, "", now).ok());
}

TEST_F(CertificateInfoTest, ExpiredSaysWhenInOneSentence) {
  auto info = read_certificate(kFixtures + "expired.crt");
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(utc_date(info->not_after()), "2020-02-01");
  Status s = certificate_problem(*info, "push.example.org", date(2020, 2, 11));
  EXPECT_TRUE(s.is(StatusCode::invalid));
  EXPECT_EQ(s.message(), "expired on 2020-02-01 (10 days ago)");
  EXPECT_EQ(certificate_problem(*info, "", date(2020, 2, 2)).message(),
            "expired on 2020-02-01 (1 day ago)");
  EXPECT_LT(days_left(*info, date(2020, 2, 11)), 0);
  EXPECT_TRUE(certificate_problem(*info, "push.example.org", date(2020, 1, 15)).ok());
}

TEST_F(CertificateInfoTest, NotYetValid) {
  auto info = read_certificate(kFixtures + "not-yet.crt");
  ASSERT_TRUE(info.ok()) << info.status().to_string();
  EXPECT_EQ(certificate_problem(*info, "push.example.org", Clock::now()).message(),
            "is not valid before 2090-01-01");
}

TEST_F(CertificateInfoTest, WrongDomainListsWhatItNames) {
  auto info = read_certificate(make("b", "DNS:other.example.org,DNS:www.example.org"));
  ASSERT_TRUE(info.ok());
  Status s = certificate_problem(*info, "push.example.org", Clock::now());
  EXPECT_EQ(s.message(), "is for other.example.org, www.example.org, not push.example.org");
  EXPECT_TRUE(certificate_problem(*info, "", Clock::now()).ok()) << "dates only";
}

TEST_F(CertificateInfoTest, MissingAndGarbageFiles) {
  auto missing = read_certificate((dir_ / "nope.crt").string());
  EXPECT_TRUE(missing.status().is(StatusCode::not_found)) << missing.status().to_string();
  std::ofstream(dir_ / "junk.crt") << "not a certificate\n";
  auto junk = read_certificate((dir_ / "junk.crt").string());
  EXPECT_TRUE(junk.status().is(StatusCode::invalid));
  EXPECT_EQ(junk.status().message(), "holds no PEM certificate");
}

}  // namespace
}  // namespace herald::net
