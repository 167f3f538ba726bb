#include <gtest/gtest.h>

#include "apps/herald/config.h"
#include "config_test_util.h"

namespace herald::app {
namespace {

using config_test::config_error;

const std::string kBase = config_test::server_head() + config_test::apns_module("m");

const char* kTurn = R"(
[turn]
enabled = true
listen = ["127.0.0.1:8443"]
certificate = "turn.crt"
key = "turn.key"
shared_secrets = ["new-secret-0123456789", "old-secret-0123456789"]
uris = ["turn:turn.example.org:3478?transport=udp"]
credential_lifetime = 3600
[[turn.app]]
id = "monal"
secret = "app-secret-0123456789"
[[turn.app]]
id = "other"
secret = "other-secret-0123456789"
)";

TEST(TurnConfig, OffByDefault) {
  Config c = parse_config(kBase, "/base");
  EXPECT_FALSE(c.turn.enabled);
  EXPECT_EQ(c.turn.credential_lifetime, std::chrono::hours(12));
  EXPECT_EQ(c.turn.challenge_lifetime, std::chrono::seconds(30));
}

TEST(TurnConfig, ReadsEveryKey) {
  Config c = parse_config(std::string(kBase) + kTurn, "/base");
  const TurnConfig& t = c.turn;
  EXPECT_TRUE(t.enabled);
  EXPECT_EQ(t.listen, std::vector<std::string>{"127.0.0.1:8443"});
  EXPECT_EQ(t.certificate, "/base/turn.crt");
  EXPECT_EQ(t.key, "/base/turn.key");
  EXPECT_EQ(t.shared_secrets.size(), 2u);
  EXPECT_EQ(t.credential_lifetime, std::chrono::seconds(3600));
  ASSERT_EQ(t.apps.size(), 2u);
  EXPECT_EQ(t.apps[1].id, "other");
  EXPECT_EQ(t.rate_limit_requests, 30u);
}

TEST(TurnConfig, ChecksNameTheKey) {
  std::string base = std::string(kBase) + kTurn;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return config_error(s);
  };
  EXPECT_NE(with("enabled = true", "bogus = 1").find("turn.bogus: unknown key"), std::string::npos);
  EXPECT_NE(with("shared_secrets = [\"new-secret-0123456789\", \"old-secret-0123456789\"]", "")
                .find("turn.shared_secrets"),
            std::string::npos);
  EXPECT_NE(with("\"new-secret-0123456789\"", "\"short\"").find("at least 16"), std::string::npos);
  EXPECT_NE(with("uris = [\"turn:", "uris = [\"http:").find("turn.uris"), std::string::npos);
  EXPECT_NE(with("key = \"turn.key\"", "").find("turn.certificate"), std::string::npos);
  EXPECT_NE(with("credential_lifetime = 3600", "credential_lifetime = 0")
                .find("turn.credential_lifetime"),
            std::string::npos);
  EXPECT_NE(with("id = \"other\"", "id = \"monal\"").find("duplicate app id"), std::string::npos);
  EXPECT_NE(with("secret = \"app-secret-0123456789\"", "secret = \"x\"").find("turn.app[0].secret"),
            std::string::npos);
  EXPECT_NE(with("listen = [\"127.0.0.1:8443\"]", "listen = [\"nohost\"]").find("turn.listen"),
            std::string::npos);
  // Without apps, an enabled API is refused; a disabled one is not checked.
  std::string no_apps = std::string(kBase) +
                        "[turn]\nenabled = true\nshared_secrets = "
                        "[\"new-secret-0123456789\"]\nuris = [\"turn:h:3478\"]\n";
  EXPECT_NE(config_error(no_apps).find("turn.app"), std::string::npos);
  EXPECT_EQ(config_error(std::string(kBase) + "[turn]\nenabled = false\n"), "no error");
}

}  // namespace
}  // namespace herald::app
