// herald-c2s-loadgen: many XMPP clients against one server's c2s port, to
// measure what a session costs the server (bench/c2s.md).
//
// Every client negotiates as a real one (c2s_client.h): STARTTLS, SASL
// SCRAM-SHA-256 (or --mechanism), resource binding, optionally the roster,
// initial presence. Users are <prefix><N>@<domain> for N in
// [--first-user, --first-user + --users), all with --password.
//
// Modes (worker.h):
//   idle      log in --users sessions and report, once all are up and
//             --settle seconds passed, the server's RSS against its RSS
//             before the first connection (and our own); then hold them
//             --hold seconds.
//   logins    log in and out as fast as --concurrency allows: logins per
//             second and the login time (connect to roster result, or to
//             the bind result without --roster) over the measured window.
//   messages  log in --users sessions (pairs 2k, 2k+1), then chat between
//             partners: delivered messages per second and the latency from
//             send to delivery (a time stamp in the body).
// logins and messages run --warmup seconds, then measure --duration
// seconds; with --server-pid they read the server's CPU time over the
// window. Prints one JSON line on stdout; progress goes to stderr.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <thread>

#include "base/log.h"
#include "c2s-loadgen/worker.h"
#include "common/proc_sample.h"
#include "net/tls.h"

namespace {

using herald::bench::Clock;
using herald::bench::ProcSample;
using herald::bench::sample_process;
using herald::bench::Worker;

struct Options {
  herald::bench::LoadOptions load;
  std::string server, domain, ca_file;
  std::string user_prefix = "user", password, mechanism = "SCRAM-SHA-256", resource = "bench";
  bool roster = false;
  double warmup_s = 3, duration_s = 10, settle_s = 3, hold_s = 0;
  double timeout_s = 60, ramp_timeout_s = 900;
  int server_pid = 0;
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::microseconds(long(s * 1e6))); }

template <typename F>
uint64_t sum(const std::vector<std::unique_ptr<Worker>>& workers, F f) {
  uint64_t n = 0;
  for (const auto& w : workers) n += f(*w);
  return n;
}

// Waits until every session is up or failed; false on timeout.
bool wait_logged_in(const Options& o, const std::vector<std::unique_ptr<Worker>>& workers,
                    Clock::time_point begin) {
  auto last_report = Clock::now();
  while (true) {
    uint64_t online = sum(workers, [](Worker& w) { return w.online.load(); });
    uint64_t failed = sum(workers, [](Worker& w) { return w.failed.load(); });
    if (online + failed >= o.load.users) return true;
    if (seconds_since(begin) > o.ramp_timeout_s) return false;
    if (seconds_since(last_report) > 5) {
      std::cerr << "c2s-loadgen: " << online << " of " << o.load.users << " online, " << failed
                << " failed" << std::endl;
      last_report = Clock::now();
    }
    sleep_s(0.02);
  }
}

nlohmann::json merged_errors(const std::vector<std::unique_ptr<Worker>>& workers) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& w : workers)
    for (const auto& [k, v] : w->errors) out[k] = out.value(k, uint64_t(0)) + v;
  return out;
}

std::vector<uint32_t> merged(const std::vector<std::unique_ptr<Worker>>& workers,
                             std::vector<uint32_t> Worker::*field) {
  std::vector<uint32_t> out;
  for (const auto& w : workers) out.insert(out.end(), ((*w).*field).begin(), ((*w).*field).end());
  return out;
}

nlohmann::json run(const Options& o, const herald::bench::ClientSettings& settings) {
  herald::bench::Phase phase;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < o.load.loops; ++i)
    workers.push_back(std::make_unique<Worker>(i, o.load, settings, phase));
  ProcSample server_before = sample_process(o.server_pid);
  ProcSample self_before = sample_process(getpid());
  auto begin = Clock::now();
  for (auto& w : workers) w->run();

  nlohmann::json r = {{"mode", o.load.mode}, {"users", o.load.users}, {"loops", o.load.loops},
                      {"mechanism", o.mechanism}, {"roster", o.roster}};
  auto counts = [&] {
    r["online"] = sum(workers, [](Worker& w) { return w.online.load(); });
    r["failed"] = sum(workers, [](Worker& w) { return w.failed.load(); });
    r["dropped"] = sum(workers, [](Worker& w) { return w.dropped.load(); });
  };
  auto roster = [&] {
    uint64_t fetches = sum(workers, [](Worker& w) { return w.roster_fetches; });
    if (fetches)
      r["roster_items_mean"] =
          double(sum(workers, [](Worker& w) { return w.roster_items; })) / double(fetches);
  };

  if (o.load.mode == "idle" || o.load.mode == "messages") {
    bool all = wait_logged_in(o, workers, begin);
    r["login_s"] = seconds_since(begin);
    counts();
    if (!all || r["failed"] != 0) {
      for (auto& w : workers) w->stop();
      r["errors"] = merged_errors(workers);
      r["error"] = all ? "some sessions failed to log in" : "timed out logging in";
      return r;
    }
    if (o.load.mode == "idle") {
      sleep_s(o.settle_s);  // the server finishes its side (presence, roster caches)
      for (auto& w : workers) w->sync();  // nothing writes the login figures any more
      ProcSample server = sample_process(o.server_pid);
      ProcSample self = sample_process(getpid());
      counts();
      uint64_t n = r["online"];
      r["settle_s"] = o.settle_s;
      if (o.server_pid > 0) {
        r["server_rss_before_kib"] = server_before.rss_kib;
        r["server_rss_after_kib"] = server.rss_kib;
        r["server_kib_per_session"] = double(server.rss_kib - server_before.rss_kib) / double(n);
        r["server_anon_kib_per_session"] =
            double(server.rss_anon_kib - server_before.rss_anon_kib) / double(n);
      }
      r["loadgen_rss_before_kib"] = self_before.rss_kib;
      r["loadgen_rss_after_kib"] = self.rss_kib;
      r["loadgen_kib_per_session"] = double(self.rss_kib - self_before.rss_kib) / double(n);
      // The sessions are still up while the caller reads this line.
      std::vector<uint32_t> logins = merged(workers, &Worker::login_us);
      r["login_ms"] = herald::bench::latency_ms(logins);
      roster();
      std::cout << r.dump() << std::endl;
      sleep_s(o.hold_s);
      counts();
      r["printed"] = true;
      return r;
    }
    for (auto& w : workers) w->start_traffic();
  }

  // logins, messages: warm up, then the measured window.
  auto warm_until = Clock::now() + std::chrono::microseconds(long(o.warmup_s * 1e6));
  while (Clock::now() < warm_until) {
    sleep_s(0.02);
    if (o.load.mode == "logins" && sum(workers, [](Worker& w) { return w.logins_total.load(); }) == 0 &&
        sum(workers, [](Worker& w) { return uint64_t(w.failed.load()); }) > 100) {
      for (auto& w : workers) w->stop();
      counts();
      r["errors"] = merged_errors(workers);
      r["error"] = "no login succeeds";
      return r;
    }
  }
  ProcSample server0 = sample_process(o.server_pid), self0 = sample_process(getpid());
  auto t0 = Clock::now();
  phase.window_start = herald::bench::now_ns();
  sleep_s(o.duration_s);
  phase.window_end = herald::bench::now_ns();
  double window = seconds_since(t0);
  ProcSample server1 = sample_process(o.server_pid), self1 = sample_process(getpid());
  for (auto& w : workers) w->stop();
  counts();
  r["warmup_s"] = o.warmup_s;
  r["duration_s"] = window;
  r["errors"] = merged_errors(workers);
  double server_cpu = server1.cpu_s - server0.cpu_s;
  r["loadgen_cpu_s"] = self1.cpu_s - self0.cpu_s;
  if (o.server_pid > 0) {
    r["server_cpu_s"] = server_cpu;
    r["server_rss_kib"] = server1.rss_kib;
  }
  if (o.load.mode == "logins") {
    uint64_t logins = sum(workers, [](Worker& w) { return w.logins_in_window; });
    r["concurrency"] = o.load.concurrency;
    r["logins"] = logins;
    r["failed_in_window"] = sum(workers, [](Worker& w) { return w.failed_in_window; });
    r["logins_per_s"] = double(logins) / window;
    std::vector<uint32_t> lat = merged(workers, &Worker::login_us);
    r["login_ms"] = herald::bench::latency_ms(lat);
    if (o.server_pid > 0) r["server_cpu_us_per_login"] = logins ? server_cpu * 1e6 / double(logins) : 0.0;
    roster();
  } else {
    uint64_t delivered = sum(workers, [](Worker& w) { return w.delivered_in_window; });
    r["pairs"] = o.load.users / 2;
    r["window"] = o.load.rate > 0 ? 0 : o.load.window;
    r["offered_per_s"] = o.load.rate;
    r["body_bytes"] = o.load.body_bytes;
    r["sent"] = sum(workers, [](Worker& w) { return w.sent_in_window; });
    r["delivered"] = delivered;
    r["schedule_skipped"] = sum(workers, [](Worker& w) { return w.skipped; });
    r["messages_per_s"] = double(delivered) / window;
    std::vector<uint32_t> lat = merged(workers, &Worker::latency_us);
    r["latency_ms"] = herald::bench::latency_ms(lat);
    if (o.server_pid > 0)
      r["server_cpu_us_per_message"] = delivered ? server_cpu * 1e6 / double(delivered) : 0.0;
    r["loadgen_cpu_us_per_message"] =
        delivered ? (self1.cpu_s - self0.cpu_s) * 1e6 / double(delivered) : 0.0;
  }
  if (r.value("failed_in_window", uint64_t(0)) > 0 || r["dropped"] != 0)
    std::cerr << "c2s-loadgen: errors: " << r["errors"].dump() << std::endl;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"herald-c2s-loadgen: many XMPP clients against one server's c2s port"};
  Options o;
  std::string level = "error";
  auto& l = o.load;
  cli.add_option("--server", o.server, "IP:PORT of the server's c2s (STARTTLS) listener")->required();
  cli.add_option("--domain", o.domain, "the users' domain (stream 'to', SNI, certificate)")->required();
  cli.add_option("--mode", l.mode, "idle, logins or messages")
      ->check(CLI::IsMember({"idle", "logins", "messages"}));
  cli.add_option("--user-prefix", o.user_prefix, "user N is PREFIX<N>@DOMAIN");
  cli.add_option("--first-user", l.first_user, "the first N");
  cli.add_option("--users", l.users, "idle, messages: sessions; logins: users cycled through");
  cli.add_option("--password", o.password, "every user's password")->required();
  cli.add_option("--mechanism", o.mechanism, "SCRAM-SHA-256, SCRAM-SHA-1, SCRAM-SHA-512 or PLAIN");
  cli.add_option("--resource", o.resource, "resource to bind");
  cli.add_flag("--roster", o.roster, "fetch the roster before initial presence");
  cli.add_option("--ca", o.ca_file, "require the server's certificate to chain to this CA");
  cli.add_option("--loops", l.loops, "event loops (threads)")->check(CLI::Range(1, 64));
  cli.add_option("--ramp", l.ramp, "idle, messages: logins in flight while ramping up");
  cli.add_option("--concurrency", l.concurrency, "logins: login cycles in flight");
  cli.add_option("--window", l.window, "messages, closed loop: messages in flight per session");
  cli.add_option("--rate", l.rate, "messages: offered messages per second (0: closed loop)");
  cli.add_option("--body-bytes", l.body_bytes, "messages: body length");
  cli.add_option("--warmup", o.warmup_s, "logins, messages: seconds before measuring");
  cli.add_option("--duration", o.duration_s, "logins, messages: seconds measured");
  cli.add_option("--settle", o.settle_s, "idle: seconds between the last login and the RSS reading");
  cli.add_option("--hold", o.hold_s, "idle: seconds to hold the sessions after reporting");
  cli.add_option("--timeout", o.timeout_s, "seconds one login may take");
  cli.add_option("--ramp-timeout", o.ramp_timeout_s, "idle, messages: seconds for all logins");
  cli.add_option("--server-pid", o.server_pid, "read the server's CPU time and RSS from /proc");
  cli.add_option("--log-level", level, "debug, info, warn, error");
  CLI11_PARSE(cli, argc, argv);
  if (l.mode == "messages" && l.users % 2) {
    std::cerr << "herald-c2s-loadgen: messages needs an even --users (pairs)\n";
    return 2;
  }
  if (l.ramp < 1 || l.concurrency < 1 || l.window < 1 || l.users < 1) {
    std::cerr << "herald-c2s-loadgen: --users, --ramp, --concurrency and --window must be >= 1\n";
    return 2;
  }

  herald::log::Options log_options;
  herald::log::parse_level(level, &log_options.level);
  herald::log::init(log_options);
  try {
    auto colon = o.server.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("--server must be IP:PORT");
    herald::bench::ClientSettings settings;
    settings.server = {asio::ip::make_address(o.server.substr(0, colon)),
                       uint16_t(std::stoi(o.server.substr(colon + 1)))};
    settings.domain = o.domain;
    settings.user_prefix = o.user_prefix;
    settings.password = o.password;
    settings.mechanism = o.mechanism;
    settings.resource = o.resource;
    settings.fetch_roster = o.roster;
    settings.timeout = std::chrono::milliseconds(long(o.timeout_s * 1000));
    auto tls = herald::net::make_client_context(nullptr);
    settings.tls = tls.get();
    std::unique_ptr<herald::net::TrustStore> trust;
    if (!o.ca_file.empty()) {
      trust = std::make_unique<herald::net::TrustStore>(o.ca_file);
      settings.trust = trust->get();
    }
    nlohmann::json result = run(o, settings);
    if (!result.value("printed", false)) std::cout << result.dump() << std::endl;
    // Leave without closing thousands of sessions one by one.
    std::_Exit(result.contains("error") ? 1 : 0);
  } catch (const std::exception& e) {
    std::cerr << "herald-c2s-loadgen: " << e.what() << "\n";
    return 2;
  }
}
