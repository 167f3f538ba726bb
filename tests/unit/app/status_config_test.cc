#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/config.h"

namespace herald::app {
namespace {

const char* kBase = R"(
[server]
domain = "push.example.org"
[s2s]
certificate = "push.crt"
key = "push.key"
[[push.module]]
name = "m"
topic = "org.example.app"
team_id = "TEAM123456"
key_id = "KEY1234567"
key_file = "AuthKey.p8"
)";

std::string error_for(const std::string& text) {
  try {
    parse_config(text, "/etc/herald");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(ObservabilityConfig, OffByDefaultOnLocalhost) {
  Config c = parse_config(kBase, "/etc/herald");
  EXPECT_FALSE(c.observability.enabled);
  EXPECT_EQ(c.observability.listen, std::vector<std::string>{"127.0.0.1:9090"});
}

TEST(ObservabilityConfig, Enabled) {
  Config c = parse_config(std::string(kBase) +
                              "[observability]\nenabled = true\nlisten = [\"[::1]:9100\"]\n",
                          "/etc/herald");
  EXPECT_TRUE(c.observability.enabled);
  EXPECT_EQ(c.observability.listen, std::vector<std::string>{"[::1]:9100"});
}

TEST(ObservabilityConfig, ErrorsNameTheKey) {
  EXPECT_THAT(error_for(std::string(kBase) + "[observability]\nlisten = [\"nowhere\"]\n"),
              ::testing::HasSubstr("observability.listen"));
  EXPECT_THAT(error_for(std::string(kBase) + "[observability]\nenabled = true\nlisten = []\n"),
              ::testing::HasSubstr("observability.listen"));
  EXPECT_THAT(error_for(std::string(kBase) + "[observability]\nport = 9090\n"),
              ::testing::HasSubstr("observability"));
}

}  // namespace
}  // namespace herald::app
