// `herald gdpr show|erase --token T | --node N`: the operator's access and
// erasure commands (docs/privacy.md promise 7). They open the configured
// store themselves (SQLite allows that while Herald runs, thanks to WAL and
// the busy timeout; PostgreSQL is shared anyway).
//
// show prints everything held: the v1 registrations with that token (or that
// node) — node, module, token, secret hash, registered, renewed, last
// success, last error — and the tombstone of the token (hash prefix, until).
// erase deletes the same rows (for a node: its registration and its token's
// tombstone), tells a Herald running on this data_dir to forget the
// tombstone too (its admin socket), and prints what it deleted. A running
// Herald reads registrations from the store for every publish, so an erased
// one is unknown to it at once.
//
// A store that fails is an error (exit 3), never "nothing held".
// Exit codes: 0 something found (shown or erased), 1 nothing held, 2 usage
// or configuration error, 3 store error (or the running Herald did not
// answer on its admin socket).
#pragma once

#include <iosfwd>
#include <string>

namespace herald::app {

struct GdprRequest {
  enum class Action { show, erase } action = Action::show;
  std::string token;  // exactly one of token and node
  std::string node;
};

int run_gdpr(const std::string& config_path, const GdprRequest& request, std::ostream& out,
             std::ostream& err);

}  // namespace herald::app
