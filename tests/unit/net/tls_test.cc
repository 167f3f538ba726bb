// Name checks of peer certificates (RFC 6120 13.7.1.2 / RFC 6125), on
// certificates made by the openssl CLI in a temp dir.
#include "net/tls.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace herald::net {
namespace {

namespace fs = std::filesystem;

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, X509Deleter>;

class CertNames : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/herald-tls-names-XXXXXX";
    dir_ = new fs::path(mkdtemp(tmpl));
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
  }
  // A self-signed certificate with subject CN `cn` and the given SAN text
  // (openssl syntax); empty san: no SAN extension.
  static Cert make(const std::string& name, const std::string& cn, const std::string& san) {
    std::string d = dir_->string();
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout " +
        d + "/" + name + ".key -out " + d + "/" + name + ".crt -days 1 -subj /CN=" + cn +
        (san.empty() ? "" : " -addext 'subjectAltName=" + san + "'") + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    FILE* f = std::fopen((d + "/" + name + ".crt").c_str(), "r");
    if (!f) return nullptr;
    Cert cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
    return cert;
  }
  static fs::path* dir_;
};
fs::path* CertNames::dir_ = nullptr;

TEST_F(CertNames, DnsNameAndWildcard) {
  Cert c = make("dns", "someone", "DNS:push.example.org,DNS:*.example.net");
  ASSERT_TRUE(c);
  EXPECT_TRUE(certificate_names_domain(c.get(), "push.example.org"));
  EXPECT_TRUE(certificate_names_domain(c.get(), "PUSH.Example.org"));
  EXPECT_TRUE(certificate_names_domain(c.get(), "chat.example.net"));
  EXPECT_FALSE(certificate_names_domain(c.get(), "example.net")) << "a wildcard needs a label";
  EXPECT_FALSE(certificate_names_domain(c.get(), "a.b.example.net")) << "only one label";
  EXPECT_FALSE(certificate_names_domain(c.get(), "example.org"));
  EXPECT_FALSE(certificate_names_domain(c.get(), "someone"))
      << "CN is ignored when a dNSName exists";
}

TEST_F(CertNames, XmppAddrWithoutDnsName) {
  Cert c = make("xmppaddr", "someone", "otherName:1.3.6.1.5.5.7.8.5;UTF8:chat.example.org");
  ASSERT_TRUE(c);
  EXPECT_TRUE(certificate_names_domain(c.get(), "chat.example.org"));
  EXPECT_TRUE(certificate_names_domain(c.get(), "Chat.Example.Org"));
  EXPECT_FALSE(certificate_names_domain(c.get(), "other.example.org"));
  EXPECT_FALSE(certificate_names_domain(c.get(), "example.org"));
}

TEST_F(CertNames, XmppAddrIsNeverAWildcard) {
  Cert c = make("xmppwild", "someone", "otherName:1.3.6.1.5.5.7.8.5;UTF8:*.example.org");
  ASSERT_TRUE(c);
  EXPECT_FALSE(certificate_names_domain(c.get(), "chat.example.org"));
}

TEST_F(CertNames, SrvIdForXmppServer) {
  Cert c = make("srvid", "someone",
                "otherName:1.3.6.1.5.5.7.8.7;IA5:_xmpp-server.srv.example.org,"
                "otherName:1.3.6.1.5.5.7.8.7;IA5:_xmpp-client.client.example.org");
  ASSERT_TRUE(c);
  EXPECT_TRUE(certificate_names_domain(c.get(), "srv.example.org"));
  EXPECT_FALSE(certificate_names_domain(c.get(), "client.example.org"))
      << "c2s SRV-ID is not for s2s";
}

TEST_F(CertNames, SubjectCnOnlyWithoutSan) {
  Cert c = make("cn", "legacy.example.org", "");
  ASSERT_TRUE(c);
  EXPECT_TRUE(certificate_names_domain(c.get(), "legacy.example.org"));
  EXPECT_FALSE(certificate_names_domain(nullptr, "legacy.example.org"));
  EXPECT_FALSE(certificate_names_domain(c.get(), ""));
}

}  // namespace
}  // namespace herald::net
