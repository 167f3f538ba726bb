#include "app/config.h"

#include <gtest/gtest.h>

namespace herald::app {
namespace {

const char* kMinimal = R"(
[server]
domain = "push.example.org"
[s2s]
certificate = "certs/push.crt"
key = "/etc/herald/push.key"
[s2s.routes]
"user.test" = "127.0.0.3:5269"
[push]
default_module = "monalProdiOS"
[[push.module]]
name = "monalProdiOS"
topic = "org.example.app"
team_id = "TEAM123456"
key_id = "KEY1234567"
key_file = "AuthKey.p8"
)";

std::string expect_error(const std::string& text) {
  try {
    parse_config(text, "/base");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

TEST(Config, MinimalFileGetsDocumentedDefaults) {
  Config c = parse_config(kMinimal, "/base");
  EXPECT_EQ(c.domain, "push.example.org");
  EXPECT_EQ(c.certificate, "/base/certs/push.crt");
  EXPECT_EQ(c.key, "/etc/herald/push.key");
  EXPECT_EQ(c.routes.at("user.test"), "127.0.0.3:5269");
  EXPECT_TRUE(c.require_tls);
  EXPECT_FALSE(c.require_valid_certificates);
  EXPECT_EQ(c.rate_limit_window, std::chrono::seconds(20));
  ASSERT_EQ(c.apns_modules.size(), 1u);
  const ApnsModule& m = c.apns_modules[0];
  EXPECT_EQ(m.key_file, "/base/AuthKey.p8");
  EXPECT_FALSE(m.sandbox);
  EXPECT_EQ(m.push_type, "alert");
  EXPECT_EQ(m.expiration, std::chrono::seconds(28 * 24 * 3600));
  EXPECT_EQ(c.default_module, "monalProdiOS");
}

TEST(Config, ErrorsNameTheKey) {
  std::string base = kMinimal;
  EXPECT_NE(expect_error(base + "\n[bogus]\n").find("bogus: unknown key"), std::string::npos);
  EXPECT_NE(expect_error("[server]\ndomain = 3\n").find("server.domain: must be a string"), std::string::npos);
  EXPECT_NE(expect_error("[server]\n").find("server.domain"), std::string::npos);
  std::string bad_env = base;
  bad_env.replace(bad_env.find("topic"), 0, "environment = \"prod\"\n");
  EXPECT_NE(expect_error(bad_env).find("push.module[0].environment"), std::string::npos);
  std::string bad_default = base;
  bad_default.replace(bad_default.find("\"monalProdiOS\"\n[["), 14, "\"nope\"");
  EXPECT_NE(expect_error(bad_default).find("push.default_module"), std::string::npos);
  EXPECT_NE(expect_error("[server\n").find("line 1"), std::string::npos);
}

TEST(Config, RejectsDuplicateModulesAndBadRoutes) {
  std::string dup = std::string(kMinimal) + R"(
[[push.module]]
name = "monalProdiOS"
topic = "x"
team_id = "T"
key_id = "K"
key_file = "k.p8"
)";
  EXPECT_NE(expect_error(dup).find("duplicate module name"), std::string::npos);
  std::string route = kMinimal;
  route.replace(route.find("127.0.0.3:5269"), 14, "nohostport");
  EXPECT_NE(expect_error(route).find("s2s.routes.user.test"), std::string::npos);
}

}  // namespace
}  // namespace herald::app

namespace herald::app {
namespace {

TEST(Config, ShippedExampleIsValid) {
  Config c = load_config(std::string(HERALD_SOURCE_DIR) + "/docs/herald.example.toml");
  EXPECT_EQ(c.domain, "push.example.org");
  ASSERT_EQ(c.apns_modules.size(), 2u);
  EXPECT_TRUE(c.apns_modules[1].sandbox);
}

}  // namespace
}  // namespace herald::app
