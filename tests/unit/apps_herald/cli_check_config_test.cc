// [log] configuration and check-config's "file:line:" messages.
#include <gtest/gtest.h>

#include "apps/herald/check_config.h"
#include "apps/herald/config.h"
#include "config_test_util.h"

namespace herald::app {
namespace {

using config_test::expect_config_error;

const std::string kBase =
    config_test::server_head("region = \"alpha\"\n") + config_test::apns_module("ios");

TEST(LogConfig, DefaultsKeepFourteenDays) {
  Config c = parse_config(kBase, "/base");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_format, "text");
  EXPECT_EQ(c.log_retention, std::chrono::hours(14 * 24));
  EXPECT_EQ(c.log_rotate_age, std::chrono::hours(24));
  EXPECT_EQ(c.log_rotate_bytes, 64u << 20);
}

TEST(LogConfig, SectionOverridesServerKeysAndRegionPicksItsLevel) {
  Config c = parse_config(kBase + R"(
[log]
level = "warn"
format = "json"
file = "logs/herald.log"
retention_days = 7
rotate_megabytes = 0
rotate_age = 3600
purge_interval = 60
[log.region_level]
alpha = "debug"
eu = "error"
)",
                          "/base");
  EXPECT_EQ(c.log_level, "debug");  // this node's region is alpha
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.log_file, "/base/logs/herald.log");
  EXPECT_EQ(c.log_retention, std::chrono::hours(7 * 24));
  EXPECT_EQ(c.log_rotate_bytes, 0u);
  EXPECT_EQ(c.log_purge_interval, std::chrono::seconds(60));
}

TEST(LogConfig, BadValuesNameTheirKey) {
  EXPECT_NE(expect_config_error(kBase + "[log]\nformat = \"xml\"\n").find("log.format"),
            std::string::npos);
  EXPECT_NE(expect_config_error(kBase + "[log]\nlevel = \"loud\"\n").find("log.level"),
            std::string::npos);
  EXPECT_NE(expect_config_error(kBase + "[log]\nretention_days = 0\n").find("log.retention_days"),
            std::string::npos);
  EXPECT_NE(expect_config_error(kBase + "[log]\nretention_days = 1\nrotate_age = 86400\n")
                .find("log.rotate_age"),
            std::string::npos);
  EXPECT_NE(expect_config_error(kBase + "[log.region_level]\nalpha = \"loud\"\n")
                .find("log.region_level.alpha"),
            std::string::npos);
  EXPECT_NE(expect_config_error(kBase + "[log]\nkeep = 1\n").find("log.keep: unknown key"),
            std::string::npos);
}

TEST(CheckConfig, ErrorsPointAtTheKeysLine) {
  std::string text = kBase + "[log]\nformat = \"xml\"\n";
  EXPECT_EQ(locate_config_error("h.toml", text, expect_config_error(text)),
            "h.toml:14: log.format: must be \"text\" or \"json\"");
}

TEST(CheckConfig, AMissingKeyPointsAtItsTable) {
  std::string text = kBase;
  text.replace(text.find("topic = "), std::string("topic = \"org.example.app\"\n").size(), "");
  std::string located = locate_config_error("h.toml", text, expect_config_error(text));
  EXPECT_EQ(located.rfind("h.toml:7: push.module[0].topic:", 0), 0u) << located;
}

TEST(CheckConfig, SyntaxErrorsKeepTheirLine) {
  std::string text = kBase + "[log\n";
  std::string located = locate_config_error("h.toml", text, expect_config_error(text));
  EXPECT_EQ(located.rfind("h.toml:13: ", 0), 0u) << located;
}

}  // namespace
}  // namespace herald::app
