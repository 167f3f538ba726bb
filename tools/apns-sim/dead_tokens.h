// The set of device tokens APNs answers with 410 Unregistered. Read from a
// text file, one token per line, optionally followed by the time (ms since
// the epoch) it became invalid; blank lines and lines starting with '#' are
// skipped. The file is re-read whenever its modification time or size
// changes, so a test can mark a token dead while the simulator runs.
#pragma once

#include "sim-common/watched_file.h"

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace herald::apns_sim {

// token (lowercase) -> invalid since (ms); lines without a time get
// `default_ms`. Malformed lines are skipped.
std::unordered_map<std::string, int64_t> parse_dead_tokens(std::string_view text,
                                                           int64_t default_ms);

class DeadTokens {
 public:
  explicit DeadTokens(std::string path) : file_(std::move(path)) {}

  // When `token` (lowercase hex) became invalid, or nullopt if it is alive.
  // Stats the file first; a missing file means no dead tokens.
  std::optional<int64_t> dead_since(const std::string& token);

 private:
  void reload_if_changed();

  sim::WatchedFile file_;
  std::unordered_map<std::string, int64_t> tokens_;
};

}  // namespace herald::apns_sim
