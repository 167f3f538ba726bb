// herald-home: the home server's command line.
//   herald-home serve [-c FILE]          serve the hosts until SIGTERM/SIGINT
//                                        (SIGHUP: reload certificates)
//   herald-home check-config [-c FILE]   validate, naming the file's line
//   herald-home user add|passwd [-c FILE] HOST USERNAME   (password on stdin)
//   herald-home user del [-c FILE] HOST USERNAME
//   herald-home user list [-c FILE] HOST                  (one name a line)
//   herald-home --version
// FILE defaults to /etc/herald/home.toml. Usage errors exit 2, like an
// invalid configuration; a database that does not open at serve too.
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <iostream>

#include "apps/home/check_config.h"
#include "apps/home/config.h"
#include "apps/home/home_store.h"
#include "apps/home/server.h"
#include "apps/home/user_command.h"
#include "base/log.h"
#include "net/loop_pool.h"

namespace {

using herald::home::app::HomeConfig;

int serve(const std::string& path) {
  HomeConfig config;
  try {
    config = herald::home::app::load_home_config(path);
  } catch (const std::exception& e) {
    std::cerr << "herald-home: " << e.what() << "\n";
    return 2;
  }
  try {
    herald::log::init(config.log);  // the sinks lock: every loop logs
    auto t0 = std::chrono::steady_clock::now();
    herald::home::app::HomeServer server(config);
    // Signals are handled on loop 0, set up before the loops run.
    asio::signal_set stop_signals(server.main_loop(), SIGINT, SIGTERM);
    stop_signals.async_wait([&](std::error_code ec, int signo) {
      if (ec) return;
      herald::log::info("signal {}: shutting down", signo);
      server.shutdown();
    });
    asio::signal_set reload_signal(server.main_loop(), SIGHUP);
    std::function<void()> await_reload = [&] {
      reload_signal.async_wait([&](std::error_code ec, int) {
        if (ec) return;
        herald::log::info("signal SIGHUP: reloading certificates");
        server.reload_certificates();
        await_reload();
      });
    };
    await_reload();
    server.start();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - t0).count();
    size_t loops = config.threads ? config.threads : herald::net::default_loop_count();
    herald::log::info("herald-home {} serving {} host(s) on {} event loop(s), started in {} ms",
                      HERALD_VERSION, config.hosts.size(), loops, ms);
    server.wait();
    herald::log::info("herald-home stopped");
    herald::log::shutdown();
    return 0;
  } catch (const herald::home::app::StoreError& e) {
    herald::log::error("herald-home: {}", e.what());
    std::cerr << "herald-home: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    herald::log::error("herald-home: {}", e.what());
    std::cerr << "herald-home: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"herald-home: the home server of a privacy-first XMPP provider.\n"
               "Configuration reference: docs/home/configuration.md"};
  cli.require_subcommand(0, 1);
  bool version = false;
  cli.add_flag("--version", version, "print the version and exit");
  std::string path = "/etc/herald/home.toml";
  auto* serve_cmd = cli.add_subcommand("serve", "serve the hosts until SIGTERM (SIGHUP reloads certificates)");
  serve_cmd->add_option("-c,--config", path, "TOML configuration file")->capture_default_str();
  auto* check_cmd = cli.add_subcommand("check-config", "validate a configuration file, then exit");
  check_cmd->add_option("-c,--config", path, "TOML configuration file")->capture_default_str();
  auto* user_cmd = cli.add_subcommand("user", "add, delete, re-key or list the accounts of a host");
  user_cmd->require_subcommand(1);
  herald::home::app::UserCommand user;
  struct Action {
    const char* name;
    const char* help;
    bool has_username;
  };
  const Action actions[] = {
      {"add", "add an account; its password is read from standard input (one line)", true},
      {"del", "delete an account and its keys", true},
      {"passwd", "set an account's password, read from standard input (one line)", true},
      {"list", "print the usernames of HOST, one a line", false},
  };
  for (const Action& a : actions) {
    auto* sub = user_cmd->add_subcommand(a.name, a.help);
    sub->add_option("-c,--config", path, "TOML configuration file")->capture_default_str();
    sub->add_option("host", user.host, "a host domain of the configuration")->required();
    if (a.has_username) sub->add_option("username", user.username, "the account's username")->required();
    sub->callback([&user, name = a.name] { user.action = name; });
  }
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "herald-home: " << e.what() << " (see herald-home --help)\n";
    return 2;
  }
  if (version) {
    std::cout << "herald-home " << HERALD_VERSION << "\n";
    return 0;
  }
  if (serve_cmd->parsed()) return serve(path);
  if (check_cmd->parsed()) return herald::home::app::run_check_config(path, std::cout, std::cerr);
  if (user_cmd->parsed()) {
    user.config_path = path;
    return herald::home::app::run_user_command(user, std::cin, std::cout, std::cerr);
  }
  std::cerr << cli.help();
  return 2;
}
