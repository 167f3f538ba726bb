#include "base/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "base/crypto.h"
#include "base/encoding.h"

namespace herald::log {

void init(const Options& options) {
  std::shared_ptr<spdlog::logger> logger;
  if (options.file.empty()) {
    logger = spdlog::stderr_logger_st("herald");
  } else {
    logger = spdlog::basic_logger_st("herald", options.file);
  }
  switch (options.level) {
    case Level::debug: logger->set_level(spdlog::level::debug); break;
    case Level::info: logger->set_level(spdlog::level::info); break;
    case Level::warn: logger->set_level(spdlog::level::warn); break;
    case Level::error: logger->set_level(spdlog::level::err); break;
  }
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  logger->flush_on(spdlog::level::debug);
  spdlog::drop("herald");
  spdlog::set_default_logger(logger);
}

bool parse_level(std::string_view text, Level* out) {
  if (text == "debug") *out = Level::debug;
  else if (text == "info") *out = Level::info;
  else if (text == "warn") *out = Level::warn;
  else if (text == "error") *out = Level::error;
  else return false;
  return true;
}

std::string fingerprint(std::string_view token) {
  return hex_encode(sha256(token)).substr(0, 8);
}

}  // namespace herald::log
