// herald: the push app server. Reads its TOML configuration, serves the push
// domain over s2s until SIGTERM/SIGINT, then closes its streams and exits; SIGHUP reloads the
// s2s certificates.
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <iostream>

#include "app/config.h"
#include "app/server.h"
#include "base/encoding.h"
#include "base/log.h"

int main(int argc, char** argv) {
  CLI::App cli{"Herald: a privacy-first XMPP push app server (XEP-0357) for APNs.\n"
               "Configuration reference: docs/configuration.md"};
  std::string config_path;
  bool check_only = false;
  std::string clear_token;
  cli.add_option("-c,--config", config_path, "TOML configuration file")->required();
  cli.add_flag("--check-config", check_only, "load and check the configuration, then exit");
  cli.add_option("--clear-tombstone", clear_token,
                 "forget that APNs reported this device token dead, then exit");
  bool list_tombstones = false;
  cli.add_flag("--list-tombstones", list_tombstones,
               "print the stored tombstones (token hash prefix, dead until), then exit");
  CLI11_PARSE(cli, argc, argv);

  herald::app::Config config;
  try {
    config = herald::app::load_config(config_path);
  } catch (const std::exception& e) {
    std::cerr << "herald: " << e.what() << "\n";
    return 2;
  }
  herald::log::Options log_options;
  herald::log::parse_level(config.log_level, &log_options.level);
  log_options.file = config.log_file;

  if (list_tombstones) {
    try {
      // Only hashes are stored; the prefix matches what the clear command
      // and the logs' fingerprints identify, without exposing tokens.
      auto tombstones = herald::app::list_tombstones(config);
      for (const auto& t : tombstones) {
        std::time_t until = std::chrono::system_clock::to_time_t(t.until);
        std::tm tm{};
        gmtime_r(&until, &tm);
        char when[32];
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        std::cout << herald::hex_encode(t.token_hash).substr(0, 16) << "  " << when << "\n";
      }
      std::cout << tombstones.size() << " tombstone(s)\n";
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "herald: " << e.what() << "\n";
      return 1;
    }
  }

  if (!clear_token.empty()) {
    try {
      bool found = herald::app::clear_tombstone(config, clear_token);
      std::cout << (found ? "tombstone cleared for token " : "no tombstone for token ")
                << herald::log::fingerprint(clear_token)
                << (found ? " (restart Herald for a running process to forget it)\n" : "\n");
      return found ? 0 : 1;
    } catch (const std::exception& e) {
      std::cerr << "herald: " << e.what() << "\n";
      return 1;
    }
  }

  try {
    herald::log::init(log_options);
    auto t0 = std::chrono::steady_clock::now();
    asio::io_context io(1);
    herald::app::Server server(io, config);
    if (check_only) {
      std::cout << "configuration OK: " << config_path << "\n";
      return 0;
    }
    server.start();
    auto startup_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - t0).count();
    herald::log::info("herald {} serving {} (region {}), {} push module(s), started in {} ms",
                      HERALD_VERSION, config.domain, config.region, config.apns_modules.size(),
                      startup_us / 1000.0);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int signo) {
      if (ec) return;
      herald::log::info("signal {}: closing streams", signo);
      server.stop();
      // Give peers a moment to see </stream:stream>, then end.
      auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(500));
      timer->async_wait([&io, timer](std::error_code) { io.stop(); });
    });
    // SIGHUP: reload certificates (after a renewal) without dropping streams.
    asio::signal_set reload_signal(io, SIGHUP);
    std::function<void()> await_reload = [&] {
      reload_signal.async_wait([&](std::error_code ec, int) {
        if (ec) return;
        herald::log::info("signal SIGHUP: reloading certificates");
        server.reload_certificates();
        await_reload();
      });
    };
    await_reload();
    io.run();
    herald::log::info("herald stopped");
    return 0;
  } catch (const std::exception& e) {
    herald::log::error("herald: {}", e.what());
    std::cerr << "herald: " << e.what() << "\n";
    return 1;
  }
}
