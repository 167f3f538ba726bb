// `herald check-config`: loads a configuration file the way `serve` does and
// explains what would break in production, each problem on one line with
// the key and the file's line, e.g.
//   herald.toml:12: push.module[0].topic: the APNs topic ... is required
//   herald.toml:8: s2s.certificate: /etc/herald/push.crt expired on 2025-01-02 (3 days ago)
// In this order, stopping at the first stage with a problem: the TOML
// syntax (in plain words), keys and values, every file named (missing or
// unreadable, each one), the certificates served (expired, not yet valid,
// not covering their domain: certificates.h; one expiring within 14 days is
// a warning only), then the parts built as serve builds them. Only warnings
// and errors are printed (no info lines of the store or others).
// toml++ keeps each value's source position, so the key named by
// load_config()'s message is looked up again to find its line (or its
// table's line, for a key that is missing).
#pragma once

#include <ostream>
#include <string>

namespace herald::app {

struct CheckOptions {
  // Also build the server (reads keys, certificates, opens the database)
  // without binding any port. Off: the file's keys and values only, for
  // example files whose paths exist only on the target machine.
  bool files = true;
};

// Returns the process exit code: 0 valid, 2 invalid.
int run_check_config(const std::string& path, const CheckOptions& options, std::ostream& out,
                     std::ostream& err);

// "file:line: message" for a load_config() error message, or the message
// with the file name when no line can be found. Exposed for tests.
std::string locate_config_error(const std::string& path, const std::string& toml_text,
                                const std::string& message);

}  // namespace herald::app
