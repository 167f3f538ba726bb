// One Herald process: builds every component from a Config and connects them
// (s2s transport ⇄ push app server → APNs upstreams; SQLite for tombstones).
// Construction does everything that can fail on bad configuration (files,
// keys, certificates) and throws std::runtime_error with a clear message;
// start() binds the listeners. Single-threaded on the given io_context.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "apps/herald/config.h"
#include "push/upstream.h"
#include "store/tombstone_store.h"

namespace herald::app {

class Server {
 public:
  Server(asio::io_context& io, const Config& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();
  // Closes every stream; the io_context then runs out of work.
  void stop();
  // SIGTERM: stops accepting connections, waits for the requests in flight
  // (new ones on open streams are answered `wait`), hands back those still
  // unanswered near the end of [server] shutdown_timeout with `wait`, closes
  // the streams and calls `done` once their last bytes had time to go out:
  // all within shutdown_timeout. The caller then ends the io_context; the
  // store is closed when the Server is destroyed.
  void shutdown(std::function<void()> done);
  // SIGHUP: re-reads every certificate Herald serves (s2s with its keys and
  // CA file, the TURN API's, v1's HTTPS) without dropping connections, then
  // checks their expiry again (certificates.h). Each listener on its own: on
  // an error it logs it, keeps that one's current files and returns false.
  bool reload_certificates();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// Removes the tombstone of one token from the database (for a token buried by
// mistake). Returns whether there was one. A running Herald keeps its loaded
// copy until restarted.
bool clear_tombstone(const Config& config, const std::string& token);

// The tombstones in the database, as stored: token hash and until. For
// `herald --list-tombstones`; tokens themselves are never stored.
std::vector<store::Tombstone> list_tombstones(const Config& config);

// The upstream of one configured push module, built as Server builds it (for
// `herald send-test-push`). Throws std::runtime_error if no module has that
// name or its credentials cannot be loaded.
std::shared_ptr<push::Upstream> make_module_upstream(asio::io_context& io, const Config& config,
                                                     const std::string& module);

}  // namespace herald::app
