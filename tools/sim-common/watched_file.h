// A control file that tests and operators edit while a simulator runs (dead
// tokens, per-token behaviours). poll() stats it and reads it again only when
// its mtime or size changed, so checking it on every request stays cheap.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>

namespace herald::sim {

class WatchedFile {
 public:
  enum class Change { none, gone, updated };

  explicit WatchedFile(std::string path) : path_(std::move(path)) {}

  // `gone`: the file cannot be stat'ed (forget its contents). `updated`:
  // `content` holds the new text and `mtime_ms` when it was written.
  Change poll(std::string* content, int64_t* mtime_ms);

 private:
  std::string path_;
  struct timespec mtime_ = {};
  int64_t size_ = -1;
};

}  // namespace herald::sim
