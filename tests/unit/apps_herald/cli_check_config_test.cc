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

TEST(CheckConfig, SyntaxErrorsInPlainWords) {
  struct Case {
    std::string text, line_and_words;
  };
  for (const Case& c : std::vector<Case>{
           {"[server\n", "h.toml:1: syntax error at column 8: the table header is not closed"},
           {"[server]\ndomain = push.test\n", "h.toml:2: syntax error at column 10: this value is "
                                              "not valid TOML: text goes in quotes"},
           {"[server]\ndomain = \"a\"\ndomain = \"b\"\n",
            "h.toml:3: syntax error at column 10: 'domain' is set twice"},
           {"[server]\n[server]\n", "h.toml:2: syntax error at column 1: [server] is there twice"},
           {"[server]\ndomain = \"a\n", "h.toml:2: syntax error at column 12: a quoted string is "
                                        "not closed on its line"},
           {"[server]\nlisten = [\"a\"\n", "h.toml:2: syntax error at column 15: a list is not "
                                            "closed"},
           {"[server]\nx = tru\n", "h.toml:2: syntax error at column 8: true and false are "
                                   "written in lowercase"},
       }) {
    std::string located = locate_config_error("h.toml", c.text, expect_config_error(c.text));
    EXPECT_EQ(located.rfind(c.line_and_words, 0), 0u) << located;
    EXPECT_EQ(located.find('\n'), std::string::npos) << "one line: " << located;
  }
}

TEST(TurnConfig, DomainIsLowercasedAndOptional) {
  std::string turn = R"(
[turn]
enabled = true
certificate = "t.crt"
key = "t.key"
domain = "API.Push.Example.org"
shared_secrets = ["0123456789abcdef"]
uris = ["turn:turn.example.org:3478"]
[[turn.app]]
id = "app"
secret = "0123456789abcdef"
)";
  EXPECT_EQ(parse_config(kBase + turn, "/base").turn.domain, "api.push.example.org");
  std::string without = turn;
  without.erase(without.find("domain = "), std::string("domain = \"API.Push.Example.org\"\n").size());
  EXPECT_EQ(parse_config(kBase + without, "/base").turn.domain, "");
}

}  // namespace
}  // namespace herald::app
