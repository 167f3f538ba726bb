// The file sink of Herald's log: appends formatted lines to one active file
// and rotates it by size and by age. A rotated file is renamed to
// `<stem>.<UTC time of rotation>.<ext>` (herald.log -> herald.20250101T120000Z.log)
// so that names never cascade and log_retention.h can purge by modification
// time. An existing non-empty active file is rotated away when the sink
// opens, so the active file never holds lines older than its own opening:
// every line's age is then bounded by rotate_age plus the purge cutoff.
// The active file is created mode 0640 (narrower if the umask says so).
// Thread-safe: the event loop logs, and so do the store's worker threads
// (store/database.h) when the database goes away or comes back.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>

namespace herald::log {

class RotatingFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // max_bytes 0: no size limit; max_age 0: no age limit. Throws
  // std::runtime_error if the file cannot be opened.
  RotatingFileSink(std::filesystem::path path, size_t max_bytes, std::chrono::seconds max_age);
  ~RotatingFileSink() override;

  // Rotates if the active file is older than max_age, written to or not.
  void rotate_if_old();
  const std::filesystem::path& path() const { return path_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  void open();
  void rotate();
  bool too_old() const;

  std::filesystem::path path_;
  size_t max_bytes_;
  std::chrono::seconds max_age_;
  std::FILE* file_ = nullptr;
  size_t size_ = 0;
  std::chrono::system_clock::time_point opened_;
};

// The name a file rotated at `when` gets (without collision suffix).
std::filesystem::path rotated_name(const std::filesystem::path& active,
                                   std::chrono::system_clock::time_point when);

}  // namespace herald::log
