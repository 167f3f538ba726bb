// Retention of Herald's own log files (docs/privacy.md promise 5): deletes rotated
// log files whose newest line (their modification time) is older than the
// cutoff. Only files named like the active file's rotations are touched
// (`<stem>.<anything><ext>` in the same directory); the active file itself
// never is: log::maintain() rotates it once it is too old. The clock is a
// parameter so tests can run the purge "days later".
#pragma once

#include <chrono>
#include <filesystem>
#include <vector>

namespace herald::log {

// Deletes the rotations of `active` last written before `now - keep`.
// Returns the deleted paths; errors (a file vanishing meanwhile, no
// permission) skip that file.
std::vector<std::filesystem::path> purge_old_logs(const std::filesystem::path& active,
                                                  std::chrono::seconds keep,
                                                  std::filesystem::file_time_type now);

// Whether `candidate` is a rotation of `active` by its name.
bool is_rotation_of(const std::filesystem::path& active, const std::filesystem::path& candidate);

}  // namespace herald::log
