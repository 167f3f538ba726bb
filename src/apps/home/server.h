// One herald-home process: the loops, the database and the accounts
// service the hub checks logins with, the router, the hub with its
// services, s2s on loop 0 and the client listener, wired from a HomeConfig.
//
// Construction does everything that can fail on bad configuration (files,
// certificates) and throws std::runtime_error with a clear message (a
// StoreError, home_store.h, when the database does not open); start()
// binds the listeners and starts the loops. Threads: start(), shutdown()
// and the destructor are called from the main thread; the parts run on the
// loops (s2s and the listeners on loop 0).
#pragma once

#include <functional>
#include <memory>

#include "apps/home/config.h"

namespace herald::home::app {

class HomeServer {
 public:
  explicit HomeServer(const HomeConfig& config);
  ~HomeServer();
  HomeServer(const HomeServer&) = delete;
  HomeServer& operator=(const HomeServer&) = delete;

  void start();
  // SIGTERM: stops accepting, ends every client stream (system-shutdown)
  // and every s2s stream, and lets the loops run out, within
  // [server] shutdown_timeout. Returns at once; wait() returns when done.
  void shutdown();
  // Blocks until the loops have ended.
  void wait();
  // SIGHUP, called on main_loop(): re-reads the hosts' certificates and
  // keys for s2s (client streams keep theirs until the listener can reload).
  // On error logs it, keeps the current ones and returns false.
  bool reload_certificates();

  // For signal handling: loop 0 (where s2s and the listeners run).
  asio::io_context& main_loop();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace herald::home::app
