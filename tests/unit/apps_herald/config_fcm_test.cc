// [[push.module]] with service = "fcm": keys, defaults, and the errors.
#include <gtest/gtest.h>

#include "apps/herald/config.h"
#include "config_test_util.h"

namespace herald::app {
namespace {

using config_test::config_error;

const std::string kHead =
    config_test::server_head() + "[push]\ndefault_module = \"conversationsAndroid\"\n";

const char* kFcm = R"(
[[push.module]]
name = "conversationsAndroid"
service = "fcm"
service_account_file = "firebase/service-account.json"
)";

TEST(ConfigFcm, AnFcmModuleAloneIsEnough) {
  Config c = parse_config(std::string(kHead) + kFcm, "/base");
  EXPECT_TRUE(c.apns_modules.empty());
  ASSERT_EQ(c.fcm_modules.size(), 1u);
  const FcmModule& m = c.fcm_modules[0];
  EXPECT_EQ(m.name, "conversationsAndroid");
  EXPECT_EQ(m.service_account_file, "/base/firebase/service-account.json");
  EXPECT_EQ(m.project_id, "");  // taken from the file at start-up
  EXPECT_EQ(m.endpoint, "");
  EXPECT_EQ(c.default_module, "conversationsAndroid");
}

TEST(ConfigFcm, OverridesForTheSimulator) {
  std::string text = std::string(kHead) + kFcm + R"(project_id = "my-project"
endpoint = "127.0.0.9:8443"
token_endpoint = "127.0.0.9:8443"
ca_file = "sim-ca.pem"
)";
  Config c = parse_config(text, "/base");
  const FcmModule& m = c.fcm_modules.at(0);
  EXPECT_EQ(m.project_id, "my-project");
  EXPECT_EQ(m.endpoint, "127.0.0.9:8443");
  EXPECT_EQ(m.token_endpoint, "127.0.0.9:8443");
  EXPECT_EQ(m.ca_file, "/base/sim-ca.pem");
}

TEST(ConfigFcm, ErrorsNameTheKey) {
  std::string no_file = std::string(kHead) + R"(
[[push.module]]
name = "conversationsAndroid"
service = "fcm"
)";
  EXPECT_NE(config_error(no_file).find("push.module[0].service_account_file"), std::string::npos);
  EXPECT_NE(config_error(std::string(kHead) + kFcm + "topic = \"org.example\"\n")
                .find("push.module[0].topic: unknown key"),
            std::string::npos);
  EXPECT_NE(config_error(std::string(kHead) + kFcm + "endpoint = \"nohost\"\n")
                .find("push.module[0].endpoint"),
            std::string::npos);
  EXPECT_NE(config_error(std::string(kHead) + kFcm + kFcm).find("duplicate module name"),
            std::string::npos);
  std::string apns_twin = std::string(kHead) + kFcm + R"(
[[push.module]]
name = "conversationsAndroid"
topic = "org.example.app"
team_id = "TEAM123456"
key_id = "KEY1234567"
key_file = "AuthKey.p8"
)";
  EXPECT_NE(config_error(apns_twin).find("duplicate module name"), std::string::npos);
  std::string other = std::string(kHead) + kFcm;
  other.replace(other.find("\"fcm\""), 5, "\"wns\"");
  EXPECT_NE(config_error(other).find("must be \"apns\" or \"fcm\""), std::string::npos);
}

}  // namespace
}  // namespace herald::app
