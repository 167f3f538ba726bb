// The admin socket: how the operator's commands (`herald tombstones clear`,
// `herald gdpr erase`) reach a running `herald serve` on the same host, so
// that what they erase from the store is forgotten by the server at once,
// without a restart (docs/operations.md "The admin socket").
//
// A Unix stream socket `herald.sock` in data_dir, mode 0600, and a peer
// must run as the server's user (or root; SO_PEERCRED): nothing else can
// connect. One request per connection: a line "COMMAND ARGUMENT\n", answered
// with one line, then closed; at most 1 KiB, within 5 s. Runs on the event
// loop; handlers must not wait. Nothing a request carries is logged.
#pragma once

#include <asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace herald::app {

std::string admin_socket_path(const std::string& data_dir);

class AdminSocket {
 public:
  // The answer line (without the newline) to the command's argument.
  using Handler = std::function<std::string(std::string_view argument)>;

  AdminSocket(asio::io_context& io, std::string path, std::map<std::string, Handler> commands);
  ~AdminSocket();
  AdminSocket(const AdminSocket&) = delete;
  AdminSocket& operator=(const AdminSocket&) = delete;

  // Binds, replacing a socket file a killed process left behind. If another
  // process answers on the path (a second Herald on this data_dir), logs a
  // warning and serves nothing; a path too long for a Unix socket likewise.
  void start();
  // Stops accepting and removes the file.
  void stop();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// The command-line side: sends `line` and returns the answer line. nullopt
// when no server listens at `path` (no file, or one a stopped server left);
// an error when one is there but the exchange failed or took over 5 s.
Result<std::optional<std::string>> admin_request(const std::string& path, const std::string& line);

}  // namespace herald::app
