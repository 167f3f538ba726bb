#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "apps/herald/config.h"
#include "config_test_util.h"

namespace herald::app {
namespace {

using config_test::config_error;

const std::string kBase = config_test::server_head() + config_test::apns_module("m");

TEST(ObservabilityConfig, OffByDefaultOnLocalhost) {
  Config c = parse_config(kBase, "/etc/herald");
  EXPECT_FALSE(c.observability.enabled);
  EXPECT_EQ(c.observability.listen, std::vector<std::string>{"127.0.0.1:9090"});
}

TEST(ObservabilityConfig, Enabled) {
  Config c = parse_config(
      std::string(kBase) + "[observability]\nenabled = true\nlisten = [\"[::1]:9100\"]\n",
      "/etc/herald");
  EXPECT_TRUE(c.observability.enabled);
  EXPECT_EQ(c.observability.listen, std::vector<std::string>{"[::1]:9100"});
}

TEST(ObservabilityConfig, ErrorsNameTheKey) {
  EXPECT_THAT(config_error(std::string(kBase) + "[observability]\nlisten = [\"nowhere\"]\n"),
              ::testing::HasSubstr("observability.listen"));
  EXPECT_THAT(config_error(std::string(kBase) + "[observability]\nenabled = true\nlisten = []\n"),
              ::testing::HasSubstr("observability.listen"));
  EXPECT_THAT(config_error(std::string(kBase) + "[observability]\nport = 9090\n"),
              ::testing::HasSubstr("observability"));
}

}  // namespace
}  // namespace herald::app
