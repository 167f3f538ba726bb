// What fcm-sim answers for a device token: `ok` (200) or one of FCM's error
// codes. Tokens come from a text file, one `TOKEN BEHAVIOUR` per line (blank
// lines and '#' comments skipped), re-read whenever its modification time or
// size changes so a test can kill a token while the simulator runs, and from
// fixed entries given on the command line (the file wins on conflicts).
// Behaviours: ok, UNREGISTERED (404), INVALID_ARGUMENT (400), SENDER_ID_MISMATCH
// (403), QUOTA_EXCEEDED (429, Retry-After), UNAVAILABLE (503), INTERNAL (500).
// Unknown tokens are `ok`.
#pragma once

#include <optional>

#include "sim-common/watched_file.h"

#include <ctime>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace herald::fcm_sim {

enum class Behaviour {
  ok,
  unregistered,
  invalid_argument,
  sender_id_mismatch,
  quota_exceeded,
  unavailable,
  internal,
};

std::optional<Behaviour> parse_behaviour(std::string_view name);  // case-insensitive
const char* to_string(Behaviour behaviour);                      // FCM's errorCode, or "ok"

// Malformed lines are skipped.
std::map<std::string, Behaviour> parse_behaviour_lines(std::string_view text);

class TokenBehaviours {
 public:
  explicit TokenBehaviours(std::string path = {}) {
    if (!path.empty()) file_.emplace(std::move(path));
  }

  void set(const std::string& token, Behaviour behaviour) { fixed_[token] = behaviour; }
  Behaviour lookup(const std::string& token);

 private:
  void reload_if_changed();

  std::optional<sim::WatchedFile> file_;  // none: no --tokens file
  std::map<std::string, Behaviour> from_file_;
  std::map<std::string, Behaviour> fixed_;
};

}  // namespace herald::fcm_sim
