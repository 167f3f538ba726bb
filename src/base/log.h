// Herald's logging facade over spdlog. Every layer logs through here so that
// privacy rules live in one place: at info and above a line may name a domain,
// a push module, a result and a token *fingerprint*, never a full token, a JID,
// a secret or message text. Values that would break that rule go to debug().
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace herald::log {

enum class Level { debug, info, warn, error };

struct Options {
  Level level = Level::info;
  std::string file;  // empty: stderr
};

void init(const Options& options);
bool parse_level(std::string_view text, Level* out);

template <typename... Args>
void debug(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::debug(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void info(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::info(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::warn(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void error(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::error(fmt, std::forward<Args>(args)...);
}

// A short, stable, non-reversible name for a device token: the first 8 hex
// digits of its SHA-256. Enough to follow one device through the logs.
std::string fingerprint(std::string_view token);

}  // namespace herald::log
