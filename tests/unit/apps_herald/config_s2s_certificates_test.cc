// [[s2s.certificates]]: more s2s certificates, one per listed domain (SNI).
#include <gtest/gtest.h>

#include "apps/herald/config.h"
#include "config_test_util.h"

namespace herald::app {
namespace {

using config_test::apns_module;

std::string with_head(const std::string& s2s) {
  return "[server]\ndomain = \"push.example.org\"\n[s2s]\n" + s2s + "[push]\n" + apns_module("m");
}

const char* kMain = "certificate = \"push.crt\"\nkey = \"push.key\"\n";

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "/base");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

TEST(ConfigS2sCertificates, NoneByDefault) {
  EXPECT_TRUE(parse_config(with_head(kMain), "/base").s2s_certificates.empty());
}

TEST(ConfigS2sCertificates, ListsDomainsWithTheirFiles) {
  Config c = parse_config(with_head(std::string(kMain) +
                                    "[[s2s.certificates]]\ndomains = [\"Push.Example.NET\", \"push.example.com\"]\n"
                                    "certificate = \"net.crt\"\nkey = \"/etc/herald/net.key\"\n"
                                    "[[s2s.certificates]]\ndomains = [\"old-push.example.org\"]\n"
                                    "certificate = \"old.crt\"\nkey = \"old.key\"\n"),
                          "/base");
  ASSERT_EQ(c.s2s_certificates.size(), 2u);
  EXPECT_EQ(c.s2s_certificates[0].domains, (std::vector<std::string>{"push.example.net", "push.example.com"}));
  EXPECT_EQ(c.s2s_certificates[0].certificate, "/base/net.crt");  // relative to the file's directory
  EXPECT_EQ(c.s2s_certificates[0].key, "/etc/herald/net.key");
  EXPECT_EQ(c.s2s_certificates[1].domains, (std::vector<std::string>{"old-push.example.org"}));
  EXPECT_EQ(c.certificate, "/base/push.crt");
}

TEST(ConfigS2sCertificates, PushDomainMayComeFromTheList) {
  Config c = parse_config(with_head("[[s2s.certificates]]\ndomains = [\"push.example.org\", \"push.example.net\"]\n"
                                    "certificate = \"both.crt\"\nkey = \"both.key\"\n"),
                          "/base");
  EXPECT_TRUE(c.certificate.empty());
  ASSERT_EQ(c.s2s_certificates.size(), 1u);
  EXPECT_EQ(c.s2s_certificates[0].certificate, "/base/both.crt");
  // ...but then it must be somewhere.
  EXPECT_NE(error_of(with_head("[[s2s.certificates]]\ndomains = [\"push.example.net\"]\n"
                               "certificate = \"n.crt\"\nkey = \"n.key\"\n"))
                .find("s2s.certificate: a certificate and key for the push domain are required"),
            std::string::npos);
}

TEST(ConfigS2sCertificates, ErrorsNameTheEntry) {
  auto entry = [](const std::string& body) { return with_head(std::string(kMain) + "[[s2s.certificates]]\n" + body); };
  EXPECT_NE(error_of(entry("certificate = \"a.crt\"\nkey = \"a.key\"\n")).find("s2s.certificates[0].domains"),
            std::string::npos);
  EXPECT_NE(error_of(entry("domains = [\"a.example\"]\ncertificate = \"a.crt\"\n")).find("s2s.certificates[0]"),
            std::string::npos);
  EXPECT_NE(error_of(entry("domains = [\"a.example\"]\ncertificate = \"a.crt\"\nkey = \"a.key\"\nkeyfile = \"x\"\n"))
                .find("keyfile"),
            std::string::npos);
  EXPECT_NE(error_of(entry("domains = [\"a b\"]\ncertificate = \"a.crt\"\nkey = \"a.key\"\n"))
                .find("is not a domain name"),
            std::string::npos);
  // One certificate per domain: SNI could not choose otherwise.
  EXPECT_NE(error_of(entry("domains = [\"PUSH.example.org\"]\ncertificate = \"a.crt\"\nkey = \"a.key\"\n"))
                .find("\"push.example.org\" has a certificate already"),
            std::string::npos);
  EXPECT_NE(error_of(entry("domains = [\"a.example\"]\ncertificate = \"a.crt\"\nkey = \"a.key\"\n"
                           "[[s2s.certificates]]\ndomains = [\"a.example\"]\ncertificate = \"b.crt\"\n"
                           "key = \"b.key\"\n"))
                .find("s2s.certificates[1].domains: \"a.example\" has a certificate already"),
            std::string::npos);
  EXPECT_NE(error_of(with_head(std::string(kMain) + "certificates = \"x\"\n")).find("s2s.certificates"),
            std::string::npos);
  // The main pair stays all-or-nothing.
  EXPECT_NE(error_of(with_head("certificate = \"push.crt\"\n")).find("s2s.certificate: give both"),
            std::string::npos);
}

}  // namespace
}  // namespace herald::app
