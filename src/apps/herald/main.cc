// herald: the push app server's command line.
//   herald serve [-c FILE]           serve the push domain until SIGTERM/SIGINT
//                                    (SIGHUP: reload certificates, rotate/purge logs)
//   herald check-config [-c FILE]    validate, naming the file's line on error
//   herald send-test-push [-c FILE] --module M --token T
//   herald tombstones list|clear [-c FILE] [TOKEN]
//   herald gdpr show|erase [-c FILE] --token T | --node N
//   herald version, herald --version
// FILE defaults to /etc/herald/herald.toml. `herald -c FILE` with no
// subcommand is `serve`, and the flags of older versions (--check-config,
// --list-tombstones, --clear-tombstone) still work, so scripts written for
// them keep running. A usage error is one line on stderr and exit status 2.
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <algorithm>
#include <csignal>
#include <functional>
#include <iostream>

#include <sys/stat.h>

#include "apps/herald/check_config.h"
#include "apps/herald/config.h"
#include "apps/herald/gdpr_command.h"
#include "net/periodic_job.h"
#include "apps/herald/server.h"
#include "apps/herald/tombstones_command.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/log_retention.h"

namespace {

using herald::app::Config;

constexpr const char* kDefaultConfig = "/etc/herald/herald.toml";

int fail(const std::string& message) {
  std::cerr << "herald: " << message << "\n";
  return 1;
}

// Signals as operators write them (kill -TERM, systemctl kill -s SIGTERM).
std::string signal_name(int signo) {
  switch (signo) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signo);
  }
}

herald::log::Options log_options(const Config& config) {
  herald::log::Options o;
  herald::log::parse_level(config.log_level, &o.level);
  herald::log::parse_format(config.log_format, &o.format);
  o.file = config.log_file;
  o.region = config.region;
  o.rotate_bytes = config.log_rotate_bytes;
  o.rotate_age = config.log_rotate_age;
  return o;
}

// Rotates an idle log file and deletes rotated files past the retention
// (docs/privacy.md promise 5), so operators need no cron job. A file is deleted
// rotate_age before the retention ends: its oldest line is then at most
// the retention old.
void purge_old_logs(const Config& config) {
  if (config.log_file.empty()) return;
  herald::log::maintain();
  auto keep = config.log_retention - config.log_rotate_age;
  auto deleted = herald::log::purge_old_logs(config.log_file, keep,
                                             std::filesystem::file_time_type::clock::now());
  if (!deleted.empty())
    herald::log::info("log retention: deleted {} log file(s) older than {} days", deleted.size(),
                      config.log_retention.count() / 86400.0);
}

bool load(const std::string& path, Config* config) {
  try {
    *config = herald::app::load_config(path);
    return true;
  } catch (const std::exception& e) {
    std::cerr << "herald: " << e.what() << "\n";
    return false;
  }
}

int serve(const std::string& config_path) {
  Config config;
  if (!load(config_path, &config)) return 2;
  try {
    auto options = log_options(config);
    options.flush_each_line = false;
    herald::log::init(options);
    auto t0 = std::chrono::steady_clock::now();
    asio::io_context io(1);
    herald::app::Server server(io, config);
    server.start();
    purge_old_logs(config);
    herald::net::PeriodicJob retention(io, config.log_purge_interval,
                                       [&config] { purge_old_logs(config); });
    retention.start();
    // Info lines are buffered (one write(2) per push otherwise); this bounds
    // how long one waits in memory.
    herald::net::PeriodicJob log_flush(io, std::chrono::milliseconds(100),
                                       [] { herald::log::flush(); });
    log_flush.start();
    auto startup_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - t0).count();
    herald::log::info("herald {} serving {} (region {}), {} push module(s), started in {} ms",
                      HERALD_VERSION, config.domain, config.region,
                      config.apns_modules.size() + config.fcm_modules.size(), startup_us / 1000.0);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int signo) {
      if (ec) return;
      herald::log::info("signal {}: shutting down", signal_name(signo));
      retention.stop();
      log_flush.stop();
      // Drains in-flight publishes within [server] shutdown_timeout (server.h).
      server.shutdown([&io] { io.stop(); });
    });
    // SIGHUP (systemctl reload): reload certificates (after a renewal)
    // without dropping streams, and run the log retention now.
    asio::signal_set reload_signal(io, SIGHUP);
    std::function<void()> await_reload = [&] {
      reload_signal.async_wait([&](std::error_code ec, int) {
        if (ec) return;
        herald::log::info("signal SIGHUP: reloading certificates");
        server.reload_certificates();
        purge_old_logs(config);
        await_reload();
      });
    };
    await_reload();
    io.run();
    herald::log::info("herald stopped");
    herald::log::shutdown();
    return 0;
  } catch (const std::exception& e) {
    herald::log::error("herald: {}", e.what());
    std::cerr << "herald: " << e.what() << "\n";
    return 1;
  }
}

int list_tombstones(const std::string& config_path) {
  Config config;
  if (!load(config_path, &config)) return 2;
  return herald::app::run_tombstones_list(config, std::cout, std::cerr);
}

int clear_tombstone(const std::string& config_path, const std::string& token) {
  Config config;
  if (!load(config_path, &config)) return 2;
  return herald::app::run_tombstones_clear(config, token, std::cout, std::cerr);
}

// One push through the module's real upstream path; prints the service's
// answer. Exit 0 if delivered, 1 otherwise.
int send_test_push(const std::string& config_path, const std::string& module,
                   const std::string& token, int timeout_s) {
  Config config;
  if (!load(config_path, &config)) return 2;
  herald::log::Options o = log_options(config);
  o.file.clear();  // stderr: the running server's log file is not ours
  herald::log::init(o);
  try {
    asio::io_context io(1);
    auto upstream = herald::app::make_module_upstream(io, config, module);
    if (!upstream->token_plausible(token))
      return fail("module " + module + " cannot accept a token of that shape");
    std::optional<herald::push::UpstreamResult> answer;
    asio::steady_timer deadline(io, std::chrono::seconds(timeout_s));
    deadline.async_wait([&](std::error_code ec) {
      if (!ec) io.stop();
    });
    herald::push::PushJob job;
    job.token = token;
    job.important = true;
    upstream->send(job, [&](herald::push::UpstreamResult r) {
      answer = std::move(r);
      io.stop();
    });
    io.run();
    if (!answer) return fail("no answer from the upstream within " + std::to_string(timeout_s) + " s");
    std::cout << "module: " << module << "\n"
              << "token: " << herald::log::fingerprint(token) << " (fingerprint)\n"
              << "result: " << herald::push::to_string(answer->status) << "\n"
              << "http status: " << answer->http_status << "\n"
              << "reason: " << (answer->reason.empty() ? "-" : answer->reason) << "\n"
              << "upstream id: " << (answer->upstream_id.empty() ? "-" : answer->upstream_id)
              << "\n";
    return answer->status == herald::push::UpstreamStatus::delivered ? 0 : 1;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing Herald creates (logs, the database and its WAL, their
  // directories) is for other users, started under systemd (UMask=0027) or
  // not: the umask gains group-write and all "other" bits, keeping any
  // stricter bits it had.
  ::umask(::umask(0) | 027);
  CLI::App cli{"Herald: a privacy-first XMPP push app server (XEP-0357) for APNs and FCM.\n"
               "Configuration reference: docs/configuration.md; operations: docs/operations.md"};
  cli.require_subcommand(0, 1);
  cli.set_version_flag("--version", std::string("herald ") + HERALD_VERSION);
  std::string config_path = kDefaultConfig;
  const std::string config_help = std::string("TOML configuration file (default ") + kDefaultConfig + ")";
  // `herald -c FILE` alone means serve, as it did before subcommands.
  auto* top_config = cli.add_option("-c,--config", config_path, config_help);
  bool legacy_check = false, legacy_list = false;
  std::string legacy_clear;
  cli.add_flag("--check-config", legacy_check, "same as: herald check-config")->group("Deprecated");
  cli.add_flag("--list-tombstones", legacy_list, "same as: herald tombstones list")->group("Deprecated");
  cli.add_option("--clear-tombstone", legacy_clear, "same as: herald tombstones clear TOKEN")
      ->group("Deprecated");

  auto* serve_cmd = cli.add_subcommand("serve", "serve the push domain until SIGTERM (SIGHUP reloads)");
  serve_cmd->add_option("-c,--config", config_path, config_help);

  auto* check_cmd = cli.add_subcommand("check-config", "validate a configuration file, then exit");
  check_cmd->add_option("-c,--config", config_path, config_help);
  bool syntax_only = false;
  check_cmd->add_flag("--syntax-only", syntax_only,
                      "check keys and values only, not the files they name (keys, certificates)");

  auto* push_cmd = cli.add_subcommand("send-test-push",
                                      "send one push through a module's upstream, print the answer");
  push_cmd->add_option("-c,--config", config_path, config_help);
  std::string module, token;
  int timeout_s = 30;
  push_cmd->add_option("--module", module, "push module name ([[push.module]] name)")->required();
  push_cmd->add_option("--token", token, "device token")->required();
  push_cmd->add_option("--timeout", timeout_s, "seconds to wait for the answer")->capture_default_str();

  auto* tomb_cmd = cli.add_subcommand("tombstones", "tokens APNs/FCM reported dead");
  tomb_cmd->require_subcommand(1);
  auto* tomb_list = tomb_cmd->add_subcommand("list", "print sha256: hash prefixes and dead-until times");
  tomb_list->add_option("-c,--config", config_path, config_help);
  auto* tomb_clear = tomb_cmd->add_subcommand(
      "clear", "forget one tombstone, in the store and in the running server");
  tomb_clear->add_option("-c,--config", config_path, config_help);
  std::string clear_token;
  tomb_clear->add_option("token", clear_token,
                         "the device token, or sha256:PREFIX as `tombstones list` prints it")
      ->required();

  auto* gdpr_cmd = cli.add_subcommand("gdpr", "show or erase everything held for a token or node");
  gdpr_cmd->require_subcommand(1);
  herald::app::GdprRequest gdpr;
  CLI::App* gdpr_subs[2] = {gdpr_cmd->add_subcommand("show", "print everything held"),
                            gdpr_cmd->add_subcommand("erase", "delete everything held")};
  for (CLI::App* sub : gdpr_subs) {
    sub->add_option("-c,--config", config_path, config_help);
    auto* t = sub->add_option("--token", gdpr.token, "device token");
    auto* n = sub->add_option("--node", gdpr.node, "v1 registration node");
    t->excludes(n);
    n->excludes(t);
  }

  auto* version_cmd = cli.add_subcommand("version", "print the version");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::cerr << "herald: " << what << " (herald --help lists commands and options)\n";
    return 2;
  }

  if (version_cmd->parsed()) {
    std::cout << "herald " << HERALD_VERSION << "\n";
    return 0;
  }
  if (serve_cmd->parsed()) return serve(config_path);
  if (check_cmd->parsed()) {
    herald::app::CheckOptions options;
    options.files = !syntax_only;
    return herald::app::run_check_config(config_path, options, std::cout, std::cerr);
  }
  if (push_cmd->parsed()) return send_test_push(config_path, module, token, timeout_s);
  if (tomb_list->parsed()) return list_tombstones(config_path);
  if (tomb_clear->parsed()) return clear_tombstone(config_path, clear_token);
  if (gdpr_cmd->parsed()) {
    gdpr.action = gdpr_subs[1]->parsed() ? herald::app::GdprRequest::Action::erase
                                         : herald::app::GdprRequest::Action::show;
    return herald::app::run_gdpr(config_path, gdpr, std::cout, std::cerr);
  }

  if (top_config->count() == 0 && !legacy_check && !legacy_list && legacy_clear.empty()) {
    std::cerr << "herald: no command given (serve, check-config, send-test-push, tombstones, "
                 "gdpr, version; herald --help explains them)\n";
    return 2;
  }
  if (legacy_check)
    return herald::app::run_check_config(config_path, {}, std::cout, std::cerr) == 0 ? 0 : 2;
  if (legacy_list) return list_tombstones(config_path);
  if (!legacy_clear.empty()) return clear_tombstone(config_path, legacy_clear);
  return serve(config_path);
}
