#include "base/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cctype>
#include <ctime>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/log_sink.h"

namespace herald::log {
namespace {

thread_local Level g_line_level = Level::error;
Level g_level = Level::info;
std::shared_ptr<RotatingFileSink> g_file_sink;

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

void append_json_string(std::string_view s, spdlog::memory_buf_t& out) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", unsigned(c));
        } else {
          out.push_back(char(c));
        }
    }
  }
  out.push_back('"');
}

// One JSON object per line: {"time":…,"level":…,"region":…,"msg":…}. Time
// is UTC so lines from nodes in different zones sort together.
class JsonFormatter : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string region) : region_(std::move(region)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto since_epoch = msg.time.time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs).count();
    std::time_t t = secs.count();
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fmt::format_to(std::back_inserter(dest), "{{\"time\":\"{}.{:03}Z\",\"level\":\"{}\"", stamp,
                   millis, spdlog::level::to_string_view(msg.level));
    if (!region_.empty()) {
      dest.append(std::string_view(",\"region\":"));
      append_json_string(region_, dest);
    }
    dest.append(std::string_view(",\"msg\":"));
    append_json_string(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    dest.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(region_);
  }

 private:
  std::string region_;
};

bool localpart_char(char c) {
  return !std::isspace(static_cast<unsigned char>(c)) &&
         std::string_view("<>\"'(),;=[]{}@").find(c) == std::string_view::npos;
}
bool domain_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
}
bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':';
}
constexpr size_t kTokenRun = 48;

}  // namespace

void init(const Options& options) {
  std::shared_ptr<spdlog::logger> logger;
  g_file_sink.reset();
  if (options.file.empty()) {
    spdlog::sink_ptr sink;
    if (options.thread_safe)
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    else
      sink = std::make_shared<spdlog::sinks::stderr_sink_st>();
    logger = std::make_shared<spdlog::logger>("herald", sink);
  } else {
    g_file_sink =
        std::make_shared<RotatingFileSink>(options.file, options.rotate_bytes, options.rotate_age);
    spdlog::sink_ptr sink = g_file_sink;
    if (options.thread_safe) {
      // The file sink itself does not lock; this one forwards under a mutex.
      auto locked = std::make_shared<spdlog::sinks::dist_sink_mt>();
      locked->add_sink(g_file_sink);
      sink = locked;
    }
    logger = std::make_shared<spdlog::logger>("herald", sink);
  }
  g_level = options.level;
  logger->set_level(to_spdlog(options.level));
  if (options.format == Format::json) {
    logger->set_formatter(std::make_unique<JsonFormatter>(options.region));
  } else {
    logger->set_formatter(
        std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %l %v"));
  }
  logger->flush_on(options.flush_each_line ? spdlog::level::debug : spdlog::level::warn);
  spdlog::drop("herald");
  spdlog::set_default_logger(logger);
}

bool parse_level(std::string_view text, Level* out) {
  if (text == "debug")
    *out = Level::debug;
  else if (text == "info")
    *out = Level::info;
  else if (text == "warn")
    *out = Level::warn;
  else if (text == "error")
    *out = Level::error;
  else
    return false;
  return true;
}

bool parse_format(std::string_view text, Format* out) {
  if (text == "text")
    *out = Format::text;
  else if (text == "json")
    *out = Format::json;
  else
    return false;
  return true;
}

bool enabled(Level level) {
  return spdlog::default_logger_raw()->should_log(to_spdlog(level));
}

void maintain() {
  if (g_file_sink) g_file_sink->rotate_if_old();
}

void flush() {
  spdlog::default_logger_raw()->flush();
}

void shutdown() {
  spdlog::default_logger_raw()->flush();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "herald-stderr", std::make_shared<spdlog::sinks::stderr_sink_st>()));
  g_file_sink.reset();
}

std::string fingerprint(std::string_view token) {
  return fingerprint_of_hash(sha256(token));
}

std::string fingerprint_of_hash(std::string_view token_sha256) {
  return hex_encode(token_sha256.substr(0, 4));
}

namespace detail {

Level line_level() {
  return g_line_level;
}

LineLevelScope::LineLevelScope(Level level) : saved_(g_line_level) {
  g_line_level = level;
}
LineLevelScope::~LineLevelScope() {
  g_line_level = saved_;
}

std::string show(const Token& v) {
  if (line_level() == Level::debug) return std::string(v.value);
  return fingerprint(v.value);
}

std::string show(const Jid& v) {
  if (line_level() == Level::debug) return std::string(v.value);
  std::string_view s = v.value;
  if (auto at = s.find('@'); at != std::string_view::npos) s.remove_prefix(at + 1);
  if (auto slash = s.find('/'); slash != std::string_view::npos) s = s.substr(0, slash);
  return std::string(s);
}

std::string show(const Secret&) {
  return "[redacted]";
}

std::string show(const Body& v) {
  return fmt::format("[body: {} bytes]", v.value.size());
}

std::string show(const Fingerprint& v) {
  return fingerprint(v.value);
}

std::string show(const TokenHash& v) {
  return fingerprint_of_hash(v.sha256);
}

std::string scrub(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '@') {
      // Localpart: what precedes, back to a delimiter; it is already in
      // `out`, so take it back out.
      size_t local = 0;
      while (local < out.size() && localpart_char(out[out.size() - 1 - local])) ++local;
      size_t d = i + 1;
      while (d < text.size() && domain_char(text[d])) ++d;
      if (local > 0 && d > i + 1) {
        out.resize(out.size() - local);
        out += "[redacted]@";
        out.append(text.substr(i + 1, d - i - 1));
        i = d;
        // A resource names a device: drop it too.
        if (i < text.size() && text[i] == '/') {
          while (i < text.size() && localpart_char(text[i])) ++i;
          out += "/[redacted]";
        }
        continue;
      }
    }
    if (token_char(c)) {
      size_t end = i;
      while (end < text.size() && token_char(text[end])) ++end;
      if (end - i >= kTokenRun) {
        out += "[long value ";
        out += fingerprint(text.substr(i, end - i));
        out += "]";
      } else {
        out.append(text.substr(i, end - i));
      }
      i = end;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

void write(Level level, std::string text) {
  if (level != Level::debug) text = scrub(text);
  spdlog::default_logger_raw()->log(to_spdlog(level), "{}", text);
}

}  // namespace detail
}  // namespace herald::log
