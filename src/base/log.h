// Herald's logging facade over spdlog. Every layer logs through here so that
// privacy rules live in one place: at info and above a line may name a domain,
// a push module, a result and a token *fingerprint*, never a full token, a JID,
// a secret or message text.
//
// Redaction is built in, in two layers:
//  - typed wrappers for sensitive values (log::Token, log::Jid, log::Secret,
//    log::Body) whose formatting depends on the level of the line being
//    written: at debug a token or JID is shown in full, at info and above a
//    token becomes its fingerprint and a JID its domain. Secrets and bodies
//    are never shown at any level (docs/privacy.md promises 2 and 6).
//  - a last-resort scrub of every info+ line: anything shaped like a JID
//    (x@domain) loses its localpart, and any long token-like run (48+
//    characters of [0-9A-Za-z_:-]) is replaced by its fingerprint, so a raw
//    value passed by mistake still does not reach the file.
// Output is text or JSON lines, to stderr or to a file that log_sink.h
// rotates by size and age; log_retention.h purges old files.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace herald::log {

enum class Level { debug, info, warn, error };
enum class Format { text, json };

struct Options {
  Level level = Level::info;
  Format format = Format::text;
  std::string file;                            // empty: stderr
  std::string region;                          // a field of JSON lines
  size_t rotate_bytes = 64u << 20;             // 0: no rotation by size
  std::chrono::seconds rotate_age{24 * 3600};  // 0: no rotation by age
  // false: warn and error lines are written at once, others are buffered
  // until flush() (a write(2) per info line would be one per push).
  bool flush_each_line = true;
  // true: lines come from several threads (herald-home's loops), and a
  // mutex guards the sink; false (herald, one loop): no locking. maintain()
  // is for the single-threaded case only.
  bool thread_safe = false;
};

void init(const Options& options);
bool parse_level(std::string_view text, Level* out);
bool parse_format(std::string_view text, Format* out);
bool enabled(Level level);

// Rotates the log file if it is older than rotate_age even though nothing
// was written (an idle server must not keep old lines in its active file
// past the retention). Called by the periodic retention job.
void maintain();
// Writes out buffered lines (see Options::flush_each_line).
void flush();
// Flushes and closes the active sink (tests; the end of main).
void shutdown();

// A short, stable, non-reversible name for a device token: the first 8 hex
// digits of its SHA-256. Enough to follow one device through the logs.
std::string fingerprint(std::string_view token);
// The same fingerprint from the token's SHA-256 (32 raw bytes), for callers
// that hashed the token already.
std::string fingerprint_of_hash(std::string_view token_sha256);

// Sensitive values, for log calls only (they hold a view, not a copy).
struct Token { std::string_view value; };   // info+: fingerprint
struct Jid { std::string_view value; };     // info+: domain only
struct Secret { std::string_view value; };  // always "[redacted]"
struct Body { std::string_view value; };    // always "[body: N bytes]"
// A token shown as its fingerprint at every level, hashed only when the line
// is written (a dropped line costs nothing).
struct Fingerprint { std::string_view value; };
// A token's SHA-256 (32 raw bytes), shown as the token's fingerprint.
struct TokenHash { std::string_view sha256; };

namespace detail {
// The level of the line being formatted on this thread, for the wrappers.
Level line_level();
class LineLevelScope {
 public:
  explicit LineLevelScope(Level level);
  ~LineLevelScope();
  LineLevelScope(const LineLevelScope&) = delete;
  LineLevelScope& operator=(const LineLevelScope&) = delete;

 private:
  Level saved_;
};
// Scrubs (at info+) and writes one formatted line.
void write(Level level, std::string text);
// What each wrapper prints at the current line level.
std::string show(const Token& v);
std::string show(const Jid& v);
std::string show(const Secret& v);
std::string show(const Body& v);
std::string show(const Fingerprint& v);
std::string show(const TokenHash& v);
// The info+ scrub on its own, for tests.
std::string scrub(std::string_view text);

template <typename... Args>
void emit(Level level, fmt::format_string<Args...> fmt, Args&&... args) {
  if (!enabled(level)) return;
  LineLevelScope scope(level);
  write(level, fmt::format(fmt, std::forward<Args>(args)...));
}
}  // namespace detail

template <typename... Args>
void debug(fmt::format_string<Args...> fmt, Args&&... args) {
  detail::emit(Level::debug, fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> fmt, Args&&... args) {
  detail::emit(Level::info, fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> fmt, Args&&... args) {
  detail::emit(Level::warn, fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> fmt, Args&&... args) {
  detail::emit(Level::error, fmt, std::forward<Args>(args)...);
}

}  // namespace herald::log

template <typename T>
  requires std::is_same_v<T, herald::log::Token> || std::is_same_v<T, herald::log::Jid> ||
           std::is_same_v<T, herald::log::Secret> || std::is_same_v<T, herald::log::Body> ||
           std::is_same_v<T, herald::log::Fingerprint> || std::is_same_v<T, herald::log::TokenHash>
struct fmt::formatter<T> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const T& v, Context& ctx) const {
    std::string shown = herald::log::detail::show(v);
    return fmt::formatter<std::string_view>::format(shown, ctx);
  }
};
