#include "apns-sim/dead_tokens.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace herald::apns_sim {
namespace {

TEST(ParseDeadTokensTest, TokensTimesCommentsAndJunk) {
  auto tokens = parse_dead_tokens(
      "# comment\n"
      "AABB 1700000000123\n"
      "\n"
      "  ccdd  \n"
      "eeff\tnot-a-time\n"
      "zz 5\n",
      42);
  EXPECT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens.at("aabb"), 1700000000123);
  EXPECT_EQ(tokens.at("ccdd"), 42);
}

class DeadTokensFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "apns_sim_dead_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/dead.txt";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }

  std::string dir_;
  std::string path_;
};

TEST_F(DeadTokensFileTest, MissingFileMeansNoneDead) {
  DeadTokens dead(path_);
  EXPECT_FALSE(dead.dead_since("aabb"));
}

TEST_F(DeadTokensFileTest, PicksUpChangesWhileRunning) {
  write("aabb 1000\n");
  DeadTokens dead(path_);
  EXPECT_EQ(dead.dead_since("aabb"), 1000);
  EXPECT_FALSE(dead.dead_since("ccdd"));
  write("aabb 1000\nccdd\n");
  auto since = dead.dead_since("ccdd");
  ASSERT_TRUE(since);
  // Without a time, the token died when the file was written: about now.
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  EXPECT_NEAR(double(*since), double(now_ms), 60'000.0);
  std::filesystem::remove(path_);
  EXPECT_FALSE(dead.dead_since("aabb"));
}

}  // namespace
}  // namespace herald::apns_sim
