// herald-home's configuration: each section read by its component's reader,
// the hosts handed to hub, c2s and s2s, and check-config's file:line report
// of certificate problems.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/home/check_config.h"
#include "apps/home/config.h"

namespace herald::home::app {
namespace {

namespace fs = std::filesystem;

const std::string kHost =
    "[[hosts]]\ndomain = \"Home.Example\"\ncertificate = \"home.crt\"\nkey = \"home.key\"\n";

std::string error_of(const std::string& text) {
  try {
    parse_home_config(text, "/etc/herald");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

TEST(HomeConfig, DefaultsAndTheHostsGoToEveryComponent) {
  HomeConfig c = parse_home_config(kHost, "/etc/herald");
  ASSERT_EQ(c.hosts.size(), 1u);
  EXPECT_EQ(c.hosts[0].domain, "home.example") << "normalised";
  EXPECT_EQ(c.hosts[0].certificate, "/etc/herald/home.crt");
  EXPECT_EQ(c.hub.hosts, std::vector<std::string>{"home.example"});
  ASSERT_EQ(c.c2s.hosts.size(), 1u);
  EXPECT_EQ(c.c2s.hosts[0].key_file, "/etc/herald/home.key");
  ASSERT_EQ(c.s2s.domains.size(), 1u);
  EXPECT_EQ(c.s2s.domains[0].name, "home.example");
  EXPECT_EQ(c.c2s.listen, (std::vector<std::string>{"0.0.0.0:5222", "[::]:5222"}));
  EXPECT_EQ(c.c2s.listen_direct_tls, (std::vector<std::string>{"0.0.0.0:5223", "[::]:5223"}));
  EXPECT_EQ(c.s2s.listen, (std::vector<std::string>{"0.0.0.0:5269", "[::]:5269"}));
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.store.engine, store::Engine::sqlite);
  EXPECT_EQ(c.store.target, "/etc/herald/home.sqlite");
  EXPECT_EQ(c.hub.conflict, core::HubConfig::ConflictPolicy::take_over);
}

TEST(HomeConfig, EachSectionIsReadByItsComponent) {
  HomeConfig c = parse_home_config(
      "[server]\nthreads = 3\ndata_dir = \"/var/lib/herald-home\"\n"
      "[log]\nlevel = \"debug\"\nfile = \"home.log\"\n" +
          kHost +
          "[sessions]\nresource_conflict = \"refuse\"\n"
          "[c2s]\nlisten = [\"127.0.0.1:5222\"]\nlisten_direct_tls = []\nmax_resources = 4\n"
          "stanza_rate = 20\nauth_timeout = 10\nallow_plain = false\n"
          "[s2s]\nlisten = [\"127.0.0.1:5269\"]\nroutes = { \"peer.example\" = \"127.0.0.1:5270\" }\n"
          "[store]\nengine = \"postgresql\"\npostgresql = \"dbname=home\"\nworkers = 4\n",
      "/etc/herald");
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.data_dir, "/var/lib/herald-home");
  EXPECT_EQ(c.log.level, log::Level::debug);
  EXPECT_EQ(c.log.file, "/etc/herald/home.log");
  EXPECT_EQ(c.hub.conflict, core::HubConfig::ConflictPolicy::refuse);
  EXPECT_EQ(c.c2s.listen, std::vector<std::string>{"127.0.0.1:5222"});
  EXPECT_TRUE(c.c2s.listen_direct_tls.empty());
  EXPECT_EQ(c.c2s.max_resources, 4u);
  EXPECT_EQ(c.c2s.stanza_rate, 20.0);
  EXPECT_EQ(c.c2s.auth_timeout, std::chrono::seconds(10));
  EXPECT_FALSE(c.c2s.allow_plain);
  ASSERT_TRUE(c.s2s.routes.contains("peer.example"));
  EXPECT_EQ(c.s2s.routes["peer.example"].port, 5270);
  EXPECT_EQ(c.store.engine, store::Engine::postgres);
  EXPECT_EQ(c.store.target, "dbname=home");
  EXPECT_EQ(c.store.workers, 4u);
}

TEST(HomeConfig, ProblemsNameTheirKey) {
  EXPECT_NE(error_of("").find("hosts: at least one"), std::string::npos);
  EXPECT_NE(error_of(kHost + kHost).find("hosts[1].domain: \"home.example\" is listed twice"),
            std::string::npos);
  EXPECT_NE(error_of("[[hosts]]\ndomain = \"a..b\"\ncertificate = \"c\"\nkey = \"k\"\n")
                .find("hosts[0].domain: \"a..b\" is not a domain"),
            std::string::npos);
  EXPECT_NE(error_of("[[hosts]]\ndomain = \"a.example\"\n").find("hosts[0].certificate"),
            std::string::npos);
  EXPECT_NE(error_of(kHost + "[c2s]\nbogus = 1\n").find("c2s.bogus: unknown key"), std::string::npos);
  EXPECT_NE(error_of(kHost + "[c2s]\nmax_resources = 0\n").find("c2s.max_resources"), std::string::npos);
  EXPECT_NE(error_of(kHost + "[c2s]\nlisten = [\"nowhere\"]\n").find("c2s.listen"), std::string::npos);
  EXPECT_NE(error_of(kHost + "[sessions]\nresource_conflict = \"both\"\n")
                .find("sessions.resource_conflict: must be"),
            std::string::npos);
  EXPECT_NE(error_of(kHost + "[store]\nengine = \"postgresql\"\n").find("store.postgresql"),
            std::string::npos);
  EXPECT_NE(error_of(kHost + "[s2s]\nroutes = { a = \"x\" }\n").find("s2s.routes.a"), std::string::npos);
  EXPECT_NE(error_of(kHost + "[server]\nthreads = -1\n").find("server.threads"), std::string::npos);
  EXPECT_NE(error_of("[bogus]\n").find("bogus: unknown key"), std::string::npos);
}

class CheckConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/herald-home-check-XXXXXX";
    dir_ = mkdtemp(tmpl);
    certificate("home", "home.example");
    certificate("other", "other.example");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  void certificate(const std::string& name, const std::string& domain) {
    std::string d = dir_.string();
    std::string cmd = "cd " + d +
                      " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                      "-keyout " + name + ".key -out " + name + ".crt -days 10 -subj /CN=" + domain +
                      " -addext subjectAltName=DNS:" + domain + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  int check(const std::string& text, std::chrono::system_clock::time_point now =
                                         std::chrono::system_clock::now()) {
    std::string path = (dir_ / "home.toml").string();
    std::ofstream(path) << text;
    out_.str("");
    err_.str("");
    return run_check_config(path, out_, err_, now);
  }
  std::string host(const std::string& domain, const std::string& cert, const std::string& key) {
    return "[[hosts]]\ndomain = \"" + domain + "\"\ncertificate = \"" + cert + ".crt\"\nkey = \"" + key +
           ".key\"\n";
  }
  fs::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(CheckConfig, AGoodFileIsOk) {
  EXPECT_EQ(check("[server]\nthreads = 2\n" + host("home.example", "home", "home")), 0) << err_.str();
  EXPECT_NE(out_.str().find("configuration OK"), std::string::npos);
  EXPECT_NE(out_.str().find("2 event loop(s)"), std::string::npos);
}

TEST_F(CheckConfig, CertificateProblemsAreErrorsWithTheirLine) {
  std::string text = host("home.example", "home", "home") + host("other.example", "home", "home");
  EXPECT_EQ(check(text), 2);
  EXPECT_NE(err_.str().find("home.toml:7: hosts[1].certificate: "), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("is for home.example, not other.example"), std::string::npos) << err_.str();

  EXPECT_EQ(check(host("home.example", "home", "home"),
                  std::chrono::system_clock::now() + std::chrono::hours(24 * 30)),
            2);
  EXPECT_NE(err_.str().find("expired on"), std::string::npos) << err_.str();

  EXPECT_EQ(check(host("home.example", "missing", "home")), 2);
  EXPECT_NE(err_.str().find("no such file"), std::string::npos) << err_.str();

  EXPECT_EQ(check(host("home.example", "home", "other")), 2) << "the key of another certificate";
  EXPECT_NE(err_.str().find("hosts"), std::string::npos) << err_.str();
}

TEST_F(CheckConfig, SyntaxAndKeyErrorsNameTheLine) {
  EXPECT_EQ(check(host("home.example", "home", "home") + "[c2s]\nmax_resources = \"x\"\n"), 2);
  EXPECT_NE(err_.str().find("home.toml:6: c2s.max_resources"), std::string::npos) << err_.str();
  EXPECT_EQ(check("[[hosts]\n"), 2);
  EXPECT_NE(err_.str().find("home.toml:1:"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace herald::home::app
