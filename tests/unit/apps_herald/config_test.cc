#include "apps/herald/config.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "config_test_util.h"

namespace herald::app {
namespace {

using config_test::expect_config_error;

const std::string kMinimal = R"(
[server]
domain = "push.example.org"
[s2s]
certificate = "certs/push.crt"
key = "/etc/herald/push.key"
[s2s.routes]
"user.test" = "127.0.0.3:5269"
[push]
default_module = "monalProdiOS"
)" + config_test::apns_module("monalProdiOS");

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

TEST(Config, ShutdownTimeout) {
  EXPECT_EQ(parse_config(kMinimal, "/base").shutdown_timeout, std::chrono::seconds(5));
  std::string text = kMinimal;
  text.replace(text.find("[s2s]"), 0, "shutdown_timeout = 12\n");
  EXPECT_EQ(parse_config(text, "/base").shutdown_timeout, std::chrono::seconds(12));
  std::string bad = kMinimal;
  bad.replace(bad.find("[s2s]"), 0, "shutdown_timeout = 0\n");
  EXPECT_NE(expect_config_error(bad).find("server.shutdown_timeout"), std::string::npos);
}

TEST(Config, ErrorsNameTheKey) {
  std::string base = kMinimal;
  EXPECT_NE(expect_config_error(base + "\n[bogus]\n").find("bogus: unknown key"),
            std::string::npos);
  EXPECT_NE(expect_config_error("[server]\ndomain = 3\n").find("server.domain: must be a string"),
            std::string::npos);
  EXPECT_NE(expect_config_error("[server]\n").find("server.domain"), std::string::npos);
  std::string bad_env = base;
  bad_env.replace(bad_env.find("topic"), 0, "environment = \"prod\"\n");
  EXPECT_NE(expect_config_error(bad_env).find("push.module[0].environment"), std::string::npos);
  std::string bad_default = base;
  bad_default.replace(bad_default.find("\"monalProdiOS\"\n[["), 14, "\"nope\"");
  EXPECT_NE(expect_config_error(bad_default).find("push.default_module"), std::string::npos);
  EXPECT_NE(expect_config_error("[server\n").find("line 1"), std::string::npos);
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
  EXPECT_NE(expect_config_error(dup).find("duplicate module name"), std::string::npos);
  std::string route = kMinimal;
  route.replace(route.find("127.0.0.3:5269"), 14, "nohostport");
  EXPECT_NE(expect_config_error(route).find("s2s.routes.user.test"), std::string::npos);
}

}  // namespace
}  // namespace herald::app

namespace herald::app {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string kExample = std::string(HERALD_SOURCE_DIR) + "/docs/herald.example.toml";

// The example with every optional setting switched on: a line "#key = ..."
// or "#[table]" (no space after '#') is a setting; "# ..." is prose.
std::string example_with_everything_on() {
  static const std::regex setting(R"(^#([^#\s].*)$)");
  std::istringstream in(read_file(kExample));
  std::string out, line;
  while (std::getline(in, line)) out += std::regex_replace(line, setting, "$1") + "\n";
  return out;
}

void collect_keys(const toml::table& table, std::set<std::string>& keys) {
  for (auto& [k, v] : table) {
    keys.insert(std::string(k.str()));
    if (auto* t = v.as_table()) collect_keys(*t, keys);
    if (auto* a = v.as_array())
      for (auto& e : *a)
        if (auto* t = e.as_table()) collect_keys(*t, keys);
  }
}

TEST(Config, ShippedExampleIsValid) {
  Config c = load_config(kExample);
  EXPECT_EQ(c.domain, "push.example.org");
  ASSERT_EQ(c.apns_modules.size(), 2u);
  EXPECT_TRUE(c.apns_modules[1].sandbox);
}

TEST(Config, ShippedExampleIsValidWithEverySettingOn) {
  Config c = parse_config(example_with_everything_on(), "/etc/herald");
  EXPECT_EQ(c.apns_modules.size(), 4u);
  ASSERT_EQ(c.fcm_modules.size(), 1u);
  EXPECT_TRUE(c.turn.enabled);
  EXPECT_TRUE(c.v1.enabled);
  EXPECT_TRUE(c.observability.enabled);
  EXPECT_EQ(c.store_backend, "postgresql");
  EXPECT_EQ(c.component_server, "127.0.0.1:5347");
  EXPECT_EQ(c.s2s_certificates.size(), 1u);
  EXPECT_FALSE(c.redis_address.empty());
  EXPECT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.log_region_levels.size(), 1u);
  EXPECT_FALSE(c.apns_modules[0].extra_payload.empty());
}

// Every key the loader accepts (its reject_unknown lists in config.cc) is
// shown in the example, on or commented out.
TEST(Config, ShippedExampleShowsEveryKey) {
  std::set<std::string> shown;
  collect_keys(toml::parse(example_with_everything_on()), shown);
  std::string source = read_file(std::string(HERALD_SOURCE_DIR) + "/src/apps/herald/config.cc");
  static const std::regex list(R"(reject_unknown\(\{([^}]*)\}\))");
  static const std::regex name("\"([a-z_]+)\"");
  size_t known = 0;
  for (std::sregex_iterator l(source.begin(), source.end(), list), end; l != end; ++l) {
    std::string names = (*l)[1];
    for (std::sregex_iterator n(names.begin(), names.end(), name); n != end; ++n, ++known)
      EXPECT_TRUE(shown.count((*n)[1])) << "docs/herald.example.toml does not show " << (*n)[1];
  }
  EXPECT_GT(known, 100u) << "the key lists of config.cc were not found";
}

}  // namespace
}  // namespace herald::app

namespace herald::app {
namespace {

TEST(Config, S2sAdminControls) {
  Config d = parse_config(kMinimal, "/base");
  EXPECT_TRUE(d.allow_domains.empty());
  EXPECT_EQ(d.max_connections_per_ip, 32u);
  EXPECT_EQ(d.auth_timeout, std::chrono::seconds(30));
  EXPECT_EQ(d.reply_lifetime, std::chrono::seconds(30));
  EXPECT_TRUE(d.bidi_outbound);
  EXPECT_EQ(d.domain_request_rate, 50u);
  std::string text = kMinimal;
  text.replace(text.find("[s2s.routes]"), 0,
               "allow_domains = [\"a.example\", \"b.example\"]\ndeny_domains = [\"spam.example\"]\n"
               "max_connections_per_ip = 4\nauth_timeout = 5\ndomain_request_rate = 0\n"
               "domain_request_burst = 20\nreply_lifetime = 90\nbidi_outbound = false\n");
  Config c = parse_config(text, "/base");
  EXPECT_EQ(c.allow_domains, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(c.deny_domains, (std::vector<std::string>{"spam.example"}));
  EXPECT_EQ(c.max_connections_per_ip, 4u);
  EXPECT_EQ(c.auth_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.domain_request_rate, 0u);
  EXPECT_EQ(c.domain_request_burst, 20u);
  EXPECT_EQ(c.reply_lifetime, std::chrono::seconds(90));
  EXPECT_FALSE(c.bidi_outbound);
  std::string bad_lifetime = kMinimal;
  bad_lifetime.replace(bad_lifetime.find("[s2s.routes]"), 0, "reply_lifetime = 0\n");
  EXPECT_NE(expect_config_error(bad_lifetime).find("s2s.reply_lifetime"), std::string::npos);
  std::string bad = kMinimal;
  bad.replace(bad.find("[s2s.routes]"), 0, "auth_timeout = 0\n");
  EXPECT_NE(expect_config_error(bad).find("s2s.auth_timeout"), std::string::npos);
  std::string dns = kMinimal;
  dns.replace(dns.find("[s2s.routes]"), 0,
              "dns_servers = [\"127.0.0.53:53\"]\nlisten_direct_tls = [\"0.0.0.0:5270\"]\n");
  Config with_dns = parse_config(dns, "/base");
  EXPECT_EQ(with_dns.dns_servers, (std::vector<std::string>{"127.0.0.53:53"}));
  EXPECT_EQ(with_dns.listen_direct_tls, (std::vector<std::string>{"0.0.0.0:5270"}));
  std::string bad_dns = kMinimal;
  bad_dns.replace(bad_dns.find("[s2s.routes]"), 0, "dns_servers = [\"resolver\"]\n");
  EXPECT_NE(expect_config_error(bad_dns).find("s2s.dns_servers"), std::string::npos);
  Config component = parse_config(
      std::string(kMinimal) + "[component]\nserver = \"127.0.0.1:5347\"\nsecret = \"x\"\n",
      "/base");
  EXPECT_EQ(component.component_server, "127.0.0.1:5347");
  EXPECT_NE(
      expect_config_error(std::string(kMinimal) + "[component]\nserver = \"127.0.0.1:5347\"\n")
          .find("component.secret"),
      std::string::npos);
}

}  // namespace
}  // namespace herald::app
