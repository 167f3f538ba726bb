// The logging facade's privacy guarantees: typed values show by level, the
// info+ scrub catches raw JIDs and tokens, JSON lines parse.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/crypto.h"
#include "base/log.h"

namespace herald::log {
namespace {

const std::string kToken(64, 'a');

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("herald-log-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    shutdown();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
};

TEST(LogWrappers, InfoShowsFingerprintDomainAndNothingSecret) {
  detail::LineLevelScope scope(Level::info);
  EXPECT_EQ(fmt::format("{}", Token{kToken}), fingerprint(kToken));
  EXPECT_EQ(fmt::format("{}", Jid{"alice@example.org/phone"}), "example.org");
  EXPECT_EQ(fmt::format("{}", Jid{"example.org"}), "example.org");
  EXPECT_EQ(fmt::format("{}", Secret{"hunter2hunter2"}), "[redacted]");
  EXPECT_EQ(fmt::format("{}", Body{"canary text"}), "[body: 11 bytes]");
}

TEST(LogWrappers, AHashedTokenShowsTheSameFingerprintAtEveryLevel) {
  const std::string hash = sha256(kToken);
  for (Level level : {Level::debug, Level::info}) {
    detail::LineLevelScope scope(level);
    EXPECT_EQ(fmt::format("{}", TokenHash{hash}), fingerprint(kToken));
    EXPECT_EQ(fmt::format("{}", Fingerprint{kToken}), fingerprint(kToken));
  }
  EXPECT_EQ(fingerprint(kToken).size(), 8u);
}

TEST(LogWrappers, DebugShowsTokensAndJidsButNeverSecretsOrBodies) {
  detail::LineLevelScope scope(Level::debug);
  EXPECT_EQ(fmt::format("{}", Token{kToken}), kToken);
  EXPECT_EQ(fmt::format("{}", Jid{"alice@example.org/phone"}), "alice@example.org/phone");
  EXPECT_EQ(fmt::format("{}", Secret{"hunter2hunter2"}), "[redacted]");
  EXPECT_EQ(fmt::format("{}", Body{"canary"}), "[body: 6 bytes]");
}

TEST(LogScrub, RemovesLocalpartsResourcesAndLongTokens) {
  EXPECT_EQ(detail::scrub("ping from alice@example.org/phone ok"),
            "ping from [redacted]@example.org/[redacted] ok");
  EXPECT_EQ(detail::scrub("from='bob@user.test'"), "from='[redacted]@user.test'");
  EXPECT_EQ(detail::scrub("token " + kToken + " dead"),
            "token [long value " + fingerprint(kToken) + "] dead");
  // Ordinary lines pass unchanged.
  std::string plain =
      "s2s inbound from user.test: authenticated with SASL EXTERNAL (TLSv1.3) apns-id "
      "0a1b2c3d-1111-2222-3333-444455556666";
  EXPECT_EQ(detail::scrub(plain), plain);
}

TEST_F(LogFileTest, InfoFileHoldsNoRawValueButDebugLinesAreFiltered) {
  Options o;
  o.file = (dir_ / "herald.log").string();
  init(o);
  info("publish from {} token {} secret {} body {}", Jid{"carol@user.test"}, Token{kToken},
       Secret{"s3cr3t-s3cr3t"}, Body{"canary-xyz"});
  info("a raw mistake: {} {}", "dave@user.test", kToken);
  debug("not written at info: {}", "erin@user.test");
  shutdown();
  std::string text = read_file(dir_ / "herald.log");
  for (const char* leak : {"carol@", "dave@", "erin@", "s3cr3t", "canary-xyz"})
    EXPECT_EQ(text.find(leak), std::string::npos) << leak << " in:\n" << text;
  EXPECT_EQ(text.find(kToken), std::string::npos) << text;
  EXPECT_NE(text.find("publish from user.test token " + fingerprint(kToken)), std::string::npos)
      << text;
}

TEST_F(LogFileTest, DebugLevelShowsMore) {
  Options o;
  o.level = Level::debug;
  o.file = (dir_ / "herald.log").string();
  init(o);
  debug("ping from {}", Jid{"alice@user.test/phone"});
  shutdown();
  EXPECT_NE(read_file(dir_ / "herald.log").find("ping from alice@user.test/phone"),
            std::string::npos);
}

TEST_F(LogFileTest, JsonLinesCarryRegionAndEscapedMessage) {
  Options o;
  o.format = Format::json;
  o.region = "eu";
  o.file = (dir_ / "herald.log").string();
  init(o);
  warn("quote \" and backslash \\ in {}", "text");
  shutdown();
  std::string text = read_file(dir_ / "herald.log");
  EXPECT_NE(text.find("\"level\":\"warn\",\"region\":\"eu\","
                      "\"msg\":\"quote \\\" and backslash \\\\ in text\"}\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.rfind("{\"time\":\"", 0), 0u) << text;
}

TEST_F(LogFileTest, LevelsAreSpelledAsInTheConfiguration) {
  Options o;
  o.level = Level::debug;
  o.file = (dir_ / "herald.log").string();
  init(o);
  debug("one");
  info("two");
  warn("three");
  error("four");
  shutdown();
  std::string text = read_file(dir_ / "herald.log");
  for (const char* line : {" debug one\n", " info two\n", " warn three\n", " error four\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in:\n" << text;
  EXPECT_EQ(text.find("warning"), std::string::npos) << text;
}

TEST(LogParse, LevelsAndFormats) {
  Level l;
  Format f;
  EXPECT_TRUE(parse_level("warn", &l));
  EXPECT_EQ(l, Level::warn);
  EXPECT_FALSE(parse_level("verbose", &l));
  EXPECT_TRUE(parse_format("json", &f));
  EXPECT_EQ(f, Format::json);
  EXPECT_FALSE(parse_format("xml", &f));
}

}  // namespace
}  // namespace herald::log
