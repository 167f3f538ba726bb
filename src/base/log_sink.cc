#include "base/log_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <stdexcept>
#include <system_error>

namespace herald::log {

std::filesystem::path rotated_name(const std::filesystem::path& active,
                                   std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  auto name = active.stem().string() + "." + stamp + active.extension().string();
  return active.parent_path() / name;
}

RotatingFileSink::RotatingFileSink(std::filesystem::path path, size_t max_bytes,
                                   std::chrono::seconds max_age)
    : path_(std::move(path)), max_bytes_(max_bytes), max_age_(max_age) {
  std::error_code ec;
  if (std::filesystem::file_size(path_, ec) > 0 && !ec)
    rotate();
  else
    open();
}

RotatingFileSink::~RotatingFileSink() {
  if (file_) std::fclose(file_);
}

void RotatingFileSink::open() {
  if (path_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
  }
  // Owner and group only: the log names peer domains and token fingerprints,
  // which are no one else's business on the host (the umask may take more).
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  file_ = fd < 0 ? nullptr : ::fdopen(fd, "ab");
  if (!file_) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("log: cannot open " + path_.string());
  }
  std::error_code ec;
  auto size = std::filesystem::file_size(path_, ec);
  size_ = ec ? 0 : size_t(size);
  opened_ = std::chrono::system_clock::now();
}

void RotatingFileSink::rotate() {
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
  }
  std::error_code ec;
  if (std::filesystem::file_size(path_, ec) > 0 && !ec) {
    auto target = rotated_name(path_, std::chrono::system_clock::now());
    for (int n = 1; std::filesystem::exists(target); ++n) {
      auto base = rotated_name(path_, std::chrono::system_clock::now());
      target = base.parent_path() /
               (base.stem().string() + "-" + std::to_string(n) + base.extension().string());
    }
    std::filesystem::rename(path_, target, ec);
  }
  open();
}

bool RotatingFileSink::too_old() const {
  return max_age_.count() > 0 && std::chrono::system_clock::now() - opened_ >= max_age_;
}

void RotatingFileSink::rotate_if_old() {
  std::lock_guard lock(mutex_);
  if (too_old() && size_ > 0) rotate();
}

void RotatingFileSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  if (size_ > 0 && ((max_bytes_ > 0 && size_ + line.size() > max_bytes_) || too_old())) rotate();
  std::fwrite(line.data(), 1, line.size(), file_);
  size_ += line.size();
}

void RotatingFileSink::flush_() {
  if (file_) std::fflush(file_);
}

}  // namespace herald::log
