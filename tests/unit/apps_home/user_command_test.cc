// `herald-home user ...` (apps/home/user_command.h) on a real SQLite file in
// a temp data_dir: exit codes, the one-line errors, list's output, and that
// the password is read from the input stream and never echoed.
#include "apps/home/user_command.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../store/test_support.h"

namespace herald::home::app {
namespace {

class UserCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.file("home.toml");
    std::ofstream(config_) << "[server]\ndata_dir = \"data\"\n[[hosts]]\ndomain = \"example.org\"\n"
                              "certificate = \"c.pem\"\nkey = \"k.pem\"\n";
  }
  int run(const std::string& action, const std::string& host, const std::string& user = "",
          const std::string& input = "") {
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    return run_user_command({config_, action, host, user}, in, out_, err_);
  }

  store::testing::ScratchDir dir_;
  std::string config_;
  std::ostringstream out_, err_;
};

TEST_F(UserCommandTest, AddListPasswdDel) {
  EXPECT_EQ(run("add", "example.org", "alice", "s3cret-one\n"), 0) << err_.str();
  EXPECT_EQ(run("add", "example.org", "bob", "s3cret-two\r\n"), 0) << err_.str();
  EXPECT_EQ(run("list", "example.org"), 0);
  EXPECT_EQ(out_.str(), "alice\nbob\n");
  EXPECT_EQ(run("passwd", "example.org", "alice", "s3cret-three\n"), 0) << err_.str();
  EXPECT_EQ(run("del", "example.org", "bob"), 0) << err_.str();
  EXPECT_EQ(run("list", "example.org"), 0);
  EXPECT_EQ(out_.str(), "alice\n");
  EXPECT_TRUE(std::filesystem::exists(dir_.file("data/home.sqlite")));
}

TEST_F(UserCommandTest, FailuresAreOneLineAndExitOne) {
  ASSERT_EQ(run("add", "example.org", "alice", "s3cret-one\n"), 0);
  struct Case {
    std::string action, host, user, input, message;
  };
  for (const Case& c : std::vector<Case>{
           {"add", "example.org", "alice", "other\n", "herald-home: user exists\n"},
           {"add", "example.org", "carol", "\n", "empty password"},
           {"add", "example.org", "carol", "", "empty password"},
           {"add", "example.org", "ca@rol", "pw\n", "herald-home: invalid username\n"},
           {"add", "other.org", "carol", "pw\n", "unknown host"},
           {"list", "other.org", "", "", "unknown host"},
           {"passwd", "example.org", "carol", "pw\n", "herald-home: no such user\n"},
           {"del", "example.org", "carol", "", "herald-home: no such user\n"},
       }) {
    SCOPED_TRACE(c.action + " " + c.host + " " + c.user);
    EXPECT_EQ(run(c.action, c.host, c.user, c.input), 1);
    EXPECT_NE(err_.str().find(c.message), std::string::npos) << err_.str();
    std::string err = err_.str();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(out_.str(), "");
  }
}

TEST_F(UserCommandTest, AConfigurationThatDoesNotLoadExitsTwo) {
  std::ofstream(config_) << "[server]\nno_such_key = 1\n";
  EXPECT_EQ(run("list", "example.org"), 2);
  EXPECT_NE(err_.str().find("no_such_key"), std::string::npos) << err_.str();
}

}  // namespace
}  // namespace herald::home::app
