// One Herald process: builds every component from a Config and connects them
// (s2s transport ⇄ push app server → APNs/FCM upstreams; the store for
// tombstones and v1 registrations; the admin socket for the operator's
// commands).
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
  // all within shutdown_timeout (tombstones not yet in the store are waited
  // for in the same bound). The caller then ends the io_context; the store
  // is closed when the Server is destroyed.
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

// The upstream of one configured push module, built as Server builds it (for
// `herald send-test-push`). Throws std::runtime_error if no module has that
// name or its credentials cannot be loaded.
std::shared_ptr<push::Upstream> make_module_upstream(asio::io_context& io, const Config& config,
                                                     const std::string& module);

}  // namespace herald::app
