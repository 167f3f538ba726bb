#include "apps/home/server.h"

#include "apps/home/c2s_session_adapter.h"
#include "apps/home/home_store.h"

#include <filesystem>
#include <stdexcept>

#include "base/log.h"
#include "home/accounts/account_store.h"
#include "home/accounts/accounts_service.h"
#include "home/core/disco_service.h"
#include "home/core/ping_service.h"
#include "net/cpu_pool.h"
#include "net/loop_pool.h"
#include "xmpp/c2s/c2s_listener.h"
#include "xmpp/router.h"
#include "xmpp/s2s/s2s_service.h"

namespace herald::home::app {

struct HomeServer::Parts {
  explicit Parts(const HomeConfig& c)
      : config(c),
        loops(c.threads),
        cpu(c.cpu_threads ? c.cpu_threads : std::max<size_t>(1, loops.size() / 2), 1000),
        db(open_home_database(c)),
        accounts(*db, cpu, c.hub.hosts, c.c2s.scram_iterations),
        authenticator(accounts, cpu, loops.loop(0).get_executor()),
        shutdown_timer(loops.loop(0)) {}

  HomeConfig config;
  net::LoopPool loops;
  net::CpuPool cpu;
  // After the loops and the pool, before the hub: destroyed in the reverse
  // order, once the destructor has stopped the loops and the pool.
  std::unique_ptr<store::Database> db;
  accounts::AccountStore accounts;
  accounts::AccountsService authenticator;
  xmpp::Router router;
  core::Services services;
  std::unique_ptr<core::DiscoService> disco;
  std::unique_ptr<core::PingService> ping;
  std::unique_ptr<core::Hub> hub;
  std::unique_ptr<xmpp::S2sService> s2s;
  std::unique_ptr<xmpp::C2sListener> c2s;
  asio::steady_timer shutdown_timer;
  bool stopping = false;
};

HomeServer::HomeServer(const HomeConfig& config) : parts_(std::make_unique<Parts>(config)) {
  Parts& p = *parts_;
  std::filesystem::create_directories(p.config.data_dir);
  // Services register before the hub starts (home/core/services.h).
  p.disco = std::make_unique<core::DiscoService>(p.services, p.router, "Herald");
  p.ping = std::make_unique<core::PingService>(p.services, p.router);
  p.hub = std::make_unique<core::Hub>(p.loops, p.config.hub, p.config.c2s, p.services, p.router);
  p.hub->set_authenticator(&p.authenticator);
  for (const auto& h : p.config.hosts) p.router.add_local(h.domain, *p.hub);
  // s2s lives on loop 0; stanzas it accepts cross to the accounts' loops
  // through the router and the hub.
  p.s2s = std::make_unique<xmpp::S2sService>(p.loops.loop(0), p.config.s2s, p.router);
  p.router.set_remote(*p.s2s, &p.loops.loop(0));
  std::vector<std::reference_wrapper<asio::io_context>> loops;
  for (size_t i = 0; i < p.loops.size(); ++i) loops.push_back(p.loops.loop(i));
  p.c2s = std::make_unique<xmpp::C2sListener>(p.loops.loop(0), loops, *p.hub);
  p.hub->set_session_adapter([&p](std::shared_ptr<xmpp::C2sSession> session) {
    return std::make_shared<C2sSessionAdapter>(std::move(session), p.loops);
  });
  p.hub->start();
  p.router.start();
}

HomeServer::~HomeServer() {
  Parts& p = *parts_;
  p.loops.stop();
  p.loops.join();
  p.cpu.stop();
}

asio::io_context& HomeServer::main_loop() {
  return parts_->loops.loop(0);
}

void HomeServer::start() {
  Parts& p = *parts_;
  // Before the loops run: nothing else touches these yet.
  p.s2s->start();
  p.c2s->start();
  p.loops.start();
}

void HomeServer::shutdown() {
  Parts& p = *parts_;
  asio::post(p.loops.loop(0), [&p] {
    if (p.stopping) return;
    p.stopping = true;
    log::info("shutdown: closing {} client session(s) and the server streams", p.hub->session_count());
    p.s2s->stop_accepting();
    p.c2s->stop();
    p.hub->close_all_sessions("system-shutdown", "");
    // Streams end with their closing tags after what is queued; give them a
    // moment (at most a quarter of the bound), then end the loops.
    auto flush = std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(1),
                                                               p.config.shutdown_timeout / 4);
    p.shutdown_timer.expires_after(flush);
    p.shutdown_timer.async_wait([&p](std::error_code) {
      p.s2s->stop();
      p.shutdown_timer.expires_after(std::chrono::milliseconds(200));
      p.shutdown_timer.async_wait([&p](std::error_code) { p.loops.stop(); });
    });
  });
}

void HomeServer::wait() {
  parts_->loops.join();
}

bool HomeServer::reload_certificates() {
  try {
    parts_->s2s->reload_certificates();
    return true;
  } catch (const std::exception& e) {
    log::error("reload: {} (keeping the certificates in use)", e.what());
    return false;
  }
}

}  // namespace herald::home::app
