// [[push.module]] APNs keys added for pools, certificate auth and extra
// payload keys: defaults, several modules at once, and errors naming the key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "apps/herald/config.h"
#include "config_test_util.h"

namespace herald::app {
namespace {

using config_test::config_error;

const std::string kHead =
    config_test::server_head() + "[push]\ndefault_module = \"monalProdiOS\"\n";

TEST(ConfigApns, SeveralModulesEachWithTheirOwnSettings) {
  Config c = parse_config(std::string(kHead) + R"(
[[push.module]]
name = "monalProdiOS"
topic = "G7YU7X7KRJ.SworIM"
team_id = "TEAM123456"
key_id = "KEY1234567"
key_file = "AuthKey.p8"

[[push.module]]
name = "monalProdiOS-sandbox"
topic = "G7YU7X7KRJ.SworIM"
environment = "sandbox"
team_id = "TEAM123456"
key_id = "KEY1234567"
key_file = "AuthKey.p8"

[[push.module]]
name = "monalProdCatalyst"
topic = "maccatalyst.G7YU7X7KRJ.SworIM"
team_id = "TEAM123456"
key_id = "KEY1234567"
key_file = "AuthKey.p8"
push_type = "background"
connections = 1
max_queue = 50
ping_interval = 30
[push.module.extra_payload]
min-build = "6.4"
upgrade = { url = "https://example.org/update" }

[[push.module]]
name = "otherApp"
topic = "org.example.other"
pkcs12_file = "other.p12"
pkcs12_password = "secret"
)",
                          "/base");
  ASSERT_EQ(c.apns_modules.size(), 4u);
  const ApnsModule& prod = c.apns_modules[0];
  EXPECT_FALSE(prod.sandbox);
  EXPECT_EQ(prod.connections, 2u);
  EXPECT_EQ(prod.max_queue, 1000u);
  EXPECT_EQ(prod.ping_interval, std::chrono::seconds(60));
  EXPECT_EQ(prod.extra_payload, "");
  EXPECT_TRUE(c.apns_modules[1].sandbox);
  const ApnsModule& catalyst = c.apns_modules[2];
  EXPECT_EQ(catalyst.push_type, "background");
  EXPECT_EQ(catalyst.connections, 1u);
  EXPECT_EQ(catalyst.max_queue, 50u);
  EXPECT_EQ(catalyst.ping_interval, std::chrono::seconds(30));
  auto extra = nlohmann::json::parse(catalyst.extra_payload);
  EXPECT_EQ(extra["min-build"], "6.4");
  EXPECT_EQ(extra["upgrade"]["url"], "https://example.org/update");
  const ApnsModule& other = c.apns_modules[3];
  EXPECT_EQ(other.pkcs12_file, "/base/other.p12");
  EXPECT_EQ(other.pkcs12_password, "secret");
  EXPECT_EQ(other.key_file, "");
}

TEST(ConfigApns, PemCertificateAuth) {
  Config c = parse_config(std::string(kHead) + R"(
[[push.module]]
name = "monalProdiOS"
topic = "org.example.app"
certificate = "apns.crt"
certificate_key = "apns.key"
)",
                          "/base");
  EXPECT_EQ(c.apns_modules[0].certificate, "/base/apns.crt");
  EXPECT_EQ(c.apns_modules[0].certificate_key, "/base/apns.key");
}

TEST(ConfigApns, ErrorsNameTheKey) {
  const std::string module = R"(
[[push.module]]
name = "monalProdiOS"
topic = "org.example.app"
)";
  const std::string token = "team_id = \"T\"\nkey_id = \"K\"\nkey_file = \"k.p8\"\n";
  EXPECT_NE(config_error(std::string(kHead) + module).find("team_id, key_id and key_file"),
            std::string::npos);
  EXPECT_NE(config_error(std::string(kHead) + module + token + "certificate = \"c.pem\"\n")
                .find("not both"),
            std::string::npos);
  EXPECT_NE(config_error(std::string(kHead) + module +
                         "certificate = \"c.pem\"\npkcs12_file = \"c.p12\"\n")
                .find("not both"),
            std::string::npos);
  EXPECT_NE(config_error(std::string(kHead) + module + token + "connections = 0\n")
                .find("push.module[0].connections"),
            std::string::npos);
  EXPECT_NE(config_error(std::string(kHead) + module + token + "max_queue = 0\n")
                .find("push.module[0].max_queue"),
            std::string::npos);
  EXPECT_NE(config_error(std::string(kHead) + module + token + "ping_interval = -1\n")
                .find("push.module[0].ping_interval"),
            std::string::npos);
  EXPECT_NE(
      config_error(std::string(kHead) + module + token + "[push.module.extra_payload]\naps = 1\n")
          .find("push.module[0].extra_payload.aps"),
      std::string::npos);
  EXPECT_NE(config_error(std::string(kHead) + module + token + "extra_payload = \"x\"\n")
                .find("push.module[0].extra_payload"),
            std::string::npos);
}

}  // namespace
}  // namespace herald::app
