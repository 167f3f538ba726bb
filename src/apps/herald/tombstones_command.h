// `herald tombstones list|clear`: the tombstones in the store, and clearing
// one (a token buried by a configuration mistake) in the store and in the
// running server (through its admin socket, admin_socket.h).
//
// list prints one line per tombstone, "sha256:<16 hex digits>  <dead until>",
// and the count. clear accepts a device token, or "sha256:" and at least 8
// hex digits of its hash: a prefix `list` prints, or the fingerprint the log
// shows (its first 8 digits), if it names one tombstone.
//
// Exit codes: 0 cleared (or listed), 1 no such tombstone, 2 usage or
// configuration error (an ambiguous or malformed prefix included), 3 the
// store failed or the running server did not answer.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "apps/herald/config.h"
#include "base/status.h"

namespace herald::app {

int run_tombstones_list(const Config& config, std::ostream& out, std::ostream& err);
int run_tombstones_clear(const Config& config, const std::string& token_or_hash, std::ostream& out,
                         std::ostream& err);

// Tells a `herald serve` using this data_dir to forget the tombstone of
// `token_sha256` (32 raw bytes). nullopt: no server runs there; else whether
// it had one.
Result<std::optional<bool>> forget_in_running_server(const Config& config,
                                                     const std::string& token_sha256);

}  // namespace herald::app
