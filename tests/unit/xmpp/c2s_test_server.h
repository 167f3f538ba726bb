// The server side of the c2s tests: a C2sListener and a FakeC2sHost on one
// event loop run by a thread of its own, with certificates made by the
// openssl CLI once per process (example.org: EC P-256 signed with SHA-256;
// strong.example: P-384 signed with SHA-384, for tls-server-end-point's
// choice of hash).
#pragma once

#include <stdlib.h>

#include <asio.hpp>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "fake_c2s_host.h"
#include "xmpp/c2s/c2s_listener.h"

namespace herald::xmpp::test {

inline const std::string& cert_dir() {
  static const std::string* dir = [] {
    char tmpl[] = "/tmp/herald-c2s-pki-XXXXXX";
    auto* d = new std::string(mkdtemp(tmpl));
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(cert_dir(), ignored);
    });
    auto make = [&](const std::string& name, const std::string& curve, const std::string& md) {
      std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:" + curve +
                        " -" + md + " -nodes -keyout " + *d + "/" + name + ".key -out " + *d +
                        "/" + name + ".crt -days 2 -subj /CN=" + name +
                        " -addext subjectAltName=DNS:" + name + " >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) std::abort();
    };
    make("example.org", "prime256v1", "sha256");
    make("strong.example", "secp384r1", "sha384");
    return d;
  }();
  return *dir;
}

inline C2sConfig test_config() {
  C2sConfig c;
  for (std::string host : {"example.org", "strong.example"})
    c.hosts.push_back({host, cert_dir() + "/" + host + ".crt", cert_dir() + "/" + host + ".key"});
  c.listen = {"127.0.0.1:0"};
  c.listen_direct_tls = {"127.0.0.1:0"};
  c.unknown_user_secret = "test secret";
  return c;
}

class TestServer {
 public:
  explicit TestServer(C2sConfig config = test_config()) {
    host = std::make_unique<FakeC2sHost>(io, std::move(config),
                                         std::set<std::string>{"example.org", "strong.example"});
    host->add_user("example.org", "alice", "correct horse");
    host->add_user("strong.example", "alice", "correct horse");
    listener = std::make_unique<C2sListener>(io, std::vector<std::reference_wrapper<asio::io_context>>{io},
                                             *host);
    listener->start();
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io);
      io.run();
    });
  }
  ~TestServer() {
    io.stop();
    thread_.join();
  }
  uint16_t starttls_port() const { return listener->local_endpoints().at(0).port(); }
  uint16_t direct_tls_port() const { return listener->local_endpoints().at(1).port(); }
  // Runs `f` on the server's loop and waits for it.
  template <typename F>
  void on_loop(F f) {
    std::promise<void> done;
    asio::post(io, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  asio::io_context io;
  std::unique_ptr<FakeC2sHost> host;
  std::unique_ptr<C2sListener> listener;

 private:
  std::thread thread_;
};

}  // namespace herald::xmpp::test
