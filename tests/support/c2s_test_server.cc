// c2s-test-server: one C2sListener with FakeC2sHost accounts, for tests
// with real client libraries before the home server's hub exists.
//
//   c2s-test-server HOST CERT KEY USER PASSWORD PORT_FILE
//
// Listens on 127.0.0.1 (a free port, STARTTLS), writes the port to
// PORT_FILE once it listens, logs at info to stderr, runs until SIGTERM.
#include <asio.hpp>
#include <fstream>
#include <iostream>

#include "base/log.h"
#include "fake_c2s_host.h"
#include "xmpp/c2s/c2s_listener.h"

int main(int argc, char** argv) {
  using namespace herald;
  if (argc != 7) {
    std::cerr << "usage: c2s-test-server HOST CERT KEY USER PASSWORD PORT_FILE\n";
    return 2;
  }
  log::Options options;
  options.level = log::Level::info;
  log::init(options);
  std::string host = argv[1];
  xmpp::C2sConfig config;
  config.hosts.push_back({host, argv[2], argv[3]});
  config.listen = {"127.0.0.1:0"};
  asio::io_context io;
  xmpp::FakeC2sHost fake(io, config, {host});
  fake.add_user(host, argv[4], argv[5]);
  xmpp::C2sListener listener(io, {io}, fake);
  listener.start();
  std::ofstream(argv[6]) << listener.local_endpoints().at(0).port() << "\n";
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code&, int) {
    listener.stop();
    io.stop();
  });
  io.run();
  log::shutdown();
  return 0;
}
