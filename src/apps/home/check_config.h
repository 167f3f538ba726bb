// `herald-home check-config`: reads the file as `serve` would and reports
// every problem it finds, each as "file:line: key: problem" (the key's
// line, or its table's): syntax, unknown keys, values out of range, then
// the hosts' certificates (missing, unreadable, expired, not yet valid, not
// for the host's domain, or not matching the key). Nothing is bound or
// created. Returns the exit code: 0 valid, 2 invalid.
#pragma once

#include <chrono>
#include <ostream>
#include <string>

namespace herald::home::app {

int run_check_config(const std::string& path, std::ostream& out, std::ostream& err,
                     std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace herald::home::app
