#include "base/log_retention.h"

#include <system_error>

namespace herald::log {

bool is_rotation_of(const std::filesystem::path& active, const std::filesystem::path& candidate) {
  std::string name = candidate.filename().string();
  std::string prefix = active.stem().string() + ".";
  std::string ext = active.extension().string();
  if (candidate.filename() == active.filename()) return false;
  if (name.size() <= prefix.size() + ext.size()) return false;
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  return ext.empty() || name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
}

std::vector<std::filesystem::path> purge_old_logs(const std::filesystem::path& active,
                                                  std::chrono::seconds keep,
                                                  std::filesystem::file_time_type now) {
  std::vector<std::filesystem::path> deleted;
  auto dir = active.has_parent_path() ? active.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return deleted;
  auto cutoff = now - keep;
  for (const auto& entry : it) {
    std::error_code e;
    if (!entry.is_regular_file(e) || e) continue;
    if (!is_rotation_of(active, entry.path())) continue;
    auto written = entry.last_write_time(e);
    if (e || written >= cutoff) continue;
    if (std::filesystem::remove(entry.path(), e) && !e) deleted.push_back(entry.path());
  }
  return deleted;
}

}  // namespace herald::log
