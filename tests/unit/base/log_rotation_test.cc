// Rotation by size and age, and the retention purge with an injected clock.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "base/log.h"
#include "base/log_retention.h"
#include "base/log_sink.h"

namespace herald::log {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class LogRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("herald-rotation-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    shutdown();
    fs::remove_all(dir_);
  }
  void touch(const std::string& name, fs::file_time_type when) {
    std::ofstream(dir_ / name) << "line\n";
    fs::last_write_time(dir_ / name, when);
  }
  std::set<std::string> files() const {
    std::set<std::string> names;
    for (auto& e : fs::directory_iterator(dir_)) names.insert(e.path().filename().string());
    return names;
  }
  fs::path dir_;
};

TEST_F(LogRotationTest, RotatesBySizeIntoTimestampedFiles) {
  Options o;
  o.file = (dir_ / "herald.log").string();
  o.rotate_bytes = 200;
  init(o);
  for (int i = 0; i < 20; ++i) info("line number {} with some padding to fill the file", i);
  shutdown();
  auto names = files();
  EXPECT_GT(names.size(), 2u);
  EXPECT_TRUE(names.count("herald.log"));
  for (auto& n : names) {
    if (n == "herald.log") continue;
    EXPECT_TRUE(is_rotation_of(dir_ / "herald.log", dir_ / n)) << n;
    EXPECT_LE(fs::file_size(dir_ / n), 200u) << n;
  }
}

TEST_F(LogRotationTest, AnExistingFileIsRotatedAwayAtStart) {
  std::ofstream(dir_ / "herald.log") << "an old line\n";
  Options o;
  o.file = (dir_ / "herald.log").string();
  init(o);
  info("fresh");
  shutdown();
  EXPECT_EQ(files().size(), 2u);
  std::ifstream in(dir_ / "herald.log");
  std::string line;
  std::getline(in, line);
  EXPECT_NE(line.find("fresh"), std::string::npos) << line;
}

TEST_F(LogRotationTest, FilesAreNotReadableByOthersWhateverTheUmask) {
  mode_t saved = ::umask(0);
  Options o;
  o.file = (dir_ / "herald.log").string();
  o.rotate_bytes = 100;
  init(o);
  for (int i = 0; i < 5; ++i) info("line number {} with some padding to fill the file", i);
  shutdown();
  ::umask(saved);
  ASSERT_GT(files().size(), 1u);
  for (auto& n : files()) {
    auto perms = fs::status(dir_ / n).permissions();
    EXPECT_EQ(perms, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read) << n;
  }
}

TEST_F(LogRotationTest, AgeRotationNeedsNoWrite) {
  RotatingFileSink sink(dir_ / "herald.log", 0, std::chrono::seconds(0));
  sink.rotate_if_old();  // age 0 means never
  EXPECT_EQ(files().size(), 1u);
}

TEST_F(LogRotationTest, PurgeDeletesOnlyOldRotationsWithAnInjectedClock) {
  auto now = fs::file_time_type::clock::now() + 100 * 24h;  // "days later"
  touch("herald.log", now - 30 * 24h);                      // the active file: never
  touch("herald.20250101T000000Z.log", now - 20 * 24h);     // old rotation: deleted
  touch("herald.20250301T000000Z.log", now - 1 * 24h);      // fresh rotation: kept
  touch("herald.sqlite", now - 60 * 24h);                   // not a log: kept
  touch("other.20250101T000000Z.log", now - 60 * 24h);      // someone else's: kept
  auto deleted = purge_old_logs(dir_ / "herald.log", 14 * 24h, now);
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].filename(), "herald.20250101T000000Z.log");
  EXPECT_EQ(files(), (std::set<std::string>{"herald.log", "herald.20250301T000000Z.log",
                                            "herald.sqlite", "other.20250101T000000Z.log"}));
  // The same files, judged today: nothing is old enough.
  EXPECT_TRUE(purge_old_logs(dir_ / "herald.log", 14 * 24h, now - 100 * 24h).empty());
}

}  // namespace
}  // namespace herald::log
