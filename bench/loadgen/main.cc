// herald-loadgen: plays many XMPP servers at once against one push domain.
//
// Each of N domains (d0.SUFFIX, d1.SUFFIX, ...) opens its own s2s stream to
// Herald through Herald's own S2sService (STARTTLS + SASL EXTERNAL, with one
// wildcard certificate *.SUFFIX from a test CA), so the negotiation is the
// real one. Herald answers over the streams it opens back to our listener
// (route every dN.SUFFIX to it with [s2s.routes]).
//
// Modes:
//   load  closed loop (--window publishes outstanding per domain) or, with
//         --rate, open loop at that many publishes per second overall; after
//         --warmup seconds it measures for --duration seconds: completed
//         replies per second and the IQ round trip (send to reply).
//   idle  opens the N streams (one <presence/> each, which Herald does not
//         answer, so Herald holds exactly N inbound TLS connections), waits
//         until all are up, reads Herald's RSS, holds them --hold seconds.
// Publishes are the captured fixtures (tests/fixtures/publish) with from, to,
// id and node rewritten; tokens are fresh (new per publish), hot (a small
// pool, so Herald's per-token rate limit coalesces them) or dead (tokens the
// simulator answers 410, which Herald then tombstones).
//
// With --herald-pid it reads Herald's CPU time (/proc/PID/stat) and RSS
// around the measurement. Prints one JSON line of figures on stdout.
// With --gate it writes "warm" on stderr when the warm-up ends and waits for
// a line on stdin before measuring, so a profiler can be reset in between.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <unordered_map>

#include "base/log.h"
#include "common/proc_sample.h"
#include "xml/stream_parser.h"
#include "xmpp/s2s/s2s_service.h"

namespace {

using herald::xml::Element;
using Clock = std::chrono::steady_clock;
constexpr std::string_view kPubsubNs = "http://jabber.org/protocol/pubsub";

using herald::bench::ProcSample;
using herald::bench::sample_process;

class FixtureReader : public herald::xml::StreamParser::Handler {
 public:
  void on_stream_open(const Element&) override {}
  void on_element(Element element) override { elements.push_back(std::move(element)); }
  void on_stream_close() override {}
  std::vector<Element> elements;
};

Element load_fixture(const std::string& path) {
  std::ifstream in(path);
  std::string body((std::istreambuf_iterator<char>(in)), {});
  FixtureReader reader;
  herald::xml::StreamParser parser(reader, {});
  auto error = parser.feed(
      "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>" +
      body + "</stream:stream>");
  if (error || reader.elements.size() != 1)
    throw std::runtime_error("fixture is not one stanza: " + path);
  return std::move(reader.elements.front());
}

struct Options {
  std::string herald_domain = "push.test";
  std::string herald_address;  // host:port of Herald's s2s listener
  std::string suffix = "bench.test";
  std::string listen = "127.0.0.1:0";
  std::string cert, key, ca;
  std::string fixtures_dir;
  bool include_v1 = false;
  bool v1_only = false;  // only the v1 fixture: every publish is a store lookup in Herald
  std::string mode = "load";
  int domains = 16;
  int window = 64;
  double rate = 0;  // 0: closed loop
  size_t max_outstanding = 20000;
  double warmup_s = 2;
  double duration_s = 10;
  double hold_s = 0;
  int ramp = 200;  // idle mode: streams being set up at once
  double hot_fraction = 0.05;
  int hot_tokens = 50;
  double dead_fraction = 0.02;
  std::vector<std::string> dead_tokens;
  int herald_pid = 0;
  int sim_pid = 0;
  double connect_timeout_s = 60;
  bool gate = false;
};

class Loadgen : public herald::xmpp::StanzaHandler {
 public:
  Loadgen(asio::io_context& io, Options options) : io_(io), o_(std::move(options)), timer_(io) {
    for (int i = 0; i < o_.domains; ++i) names_.push_back("d" + std::to_string(i) + "." + o_.suffix);
    std::random_device rd;
    rng_.seed(rd());
    char prefix[33];
    snprintf(prefix, sizeof prefix, "%016llx%016llx", (unsigned long long)rng_(),
             (unsigned long long)rng_());
    token_prefix_ = prefix;
    for (int i = 0; i < o_.hot_tokens; ++i) hot_.push_back(fresh_token());
    if (o_.mode == "load") load_fixtures();
  }

  void attach(herald::xmpp::S2sService* s2s) { s2s_ = s2s; }

  void start() {
    t_begin_ = Clock::now();
    if (o_.mode == "idle") {
      idle_ramp();
    } else {
      // One publish per domain first: brings every stream (both directions) up.
      for (int d = 0; d < o_.domains; ++d) send_publish(d);
      wait_connected();
    }
  }

  void handle(Element stanza) override {
    if (stanza.name() != "iq") return;
    auto id = stanza.attr_or("id");
    auto it = outstanding_.find(std::string(id));
    if (it == outstanding_.end()) return;
    auto now = Clock::now();
    int domain = it->second.domain;
    auto sent = it->second.sent;
    outstanding_.erase(it);
    --per_domain_[domain];
    ++replies_total_;
    if (measuring_ && sent >= measure_start_) {
      latencies_us_.push_back(
          uint32_t(std::chrono::duration_cast<std::chrono::microseconds>(now - sent).count()));
      std::string kind(stanza.attr_or("type"));
      if (kind == "error") {
        const Element* error = stanza.child("error", "jabber:server");
        kind = "error-" + std::string(error ? error->attr_or("type", "?") : "?");
      }
      ++reply_types_[kind];
    }
    if (running_ && o_.rate <= 0) send_publish(domain);
  }

  nlohmann::json result() const { return result_; }

 private:
  void load_fixtures() {
    for (const auto& entry : std::filesystem::directory_iterator(o_.fixtures_dir)) {
      auto name = entry.path().filename().string();
      if (entry.path().extension() != ".xml") continue;
      bool v1 = name.find("v1") != std::string::npos;
      if ((!o_.include_v1 && !o_.v1_only && v1) || (o_.v1_only && !v1)) continue;
      Element iq = load_fixture(entry.path().string());
      Element* pubsub = iq.child("pubsub", kPubsubNs);
      if (!pubsub || !pubsub->child("publish", kPubsubNs)) continue;
      templates_.push_back(std::move(iq));
    }
    if (templates_.empty()) throw std::runtime_error("no publish fixtures in " + o_.fixtures_dir);
  }

  std::string fresh_token() {
    char tail[33];
    snprintf(tail, sizeof tail, "%016llx%016llx", (unsigned long long)rng_(),
             (unsigned long long)++token_counter_);
    return token_prefix_ + tail;
  }

  std::string pick_token() {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (!o_.dead_tokens.empty() && u < o_.dead_fraction)
      return o_.dead_tokens[rng_() % o_.dead_tokens.size()];
    if (!hot_.empty() && u < o_.dead_fraction + o_.hot_fraction) return hot_[rng_() % hot_.size()];
    return fresh_token();
  }

  void send_publish(int domain) {
    Element iq = templates_[next_template_++ % templates_.size()];
    std::string id = "b" + std::to_string(++seq_);
    iq.set_attr("from", names_[domain]).set_attr("to", o_.herald_domain).set_attr("id", id);
    iq.child("pubsub", kPubsubNs)->child("publish", kPubsubNs)->set_attr("node", pick_token());
    outstanding_.emplace(std::move(id), Pending{Clock::now(), domain});
    ++per_domain_[domain];
    ++sent_total_;
    s2s_->send(std::move(iq));
  }

  double since_begin() const {
    return std::chrono::duration<double>(Clock::now() - t_begin_).count();
  }

  size_t ready_count(int upto) const {
    size_t n = 0;
    for (int d = 0; d < upto; ++d) {
      auto* out = s2s_->outbound(names_[d], o_.herald_domain);
      if (out && out->ready()) ++n;
    }
    return n;
  }

  void after(double seconds, std::function<void()> fn) {
    timer_.expires_after(std::chrono::microseconds(long(seconds * 1e6)));
    timer_.async_wait([fn = std::move(fn)](std::error_code ec) {
      if (!ec) fn();
    });
  }

  void fail(const std::string& why) {
    result_ = {{"error", why}};
    io_.stop();
  }

  // load: every domain has had a reply (so both directions are up).
  void wait_connected() {
    if (replies_total_ >= size_t(o_.domains)) {
      connect_s_ = since_begin();
      begin_load();
      return;
    }
    if (since_begin() > o_.connect_timeout_s)
      return fail("only " + std::to_string(replies_total_) + " of " +
                  std::to_string(o_.domains) + " domains got a first reply");
    after(0.02, [this] { wait_connected(); });
  }

  void begin_load() {
    running_ = true;
    load_start_ = Clock::now();
    if (o_.rate > 0) {
      tick();
    } else {
      for (int d = 0; d < o_.domains; ++d)
        while (per_domain_[d] < o_.window) send_publish(d);
    }
    phase_timer_ = std::make_unique<asio::steady_timer>(io_);
    phase_timer_->expires_after(std::chrono::microseconds(long(o_.warmup_s * 1e6)));
    phase_timer_->async_wait([this](std::error_code ec) {
      if (ec) return;
      if (o_.gate) {  // blocks the loop: nothing is sent until the profiler is reset
        std::cerr << "warm" << std::endl;
        std::string line;
        std::getline(std::cin, line);
      }
      measuring_ = true;
      measure_start_ = Clock::now();
      herald_before_ = sample_process(o_.herald_pid);
      sim_before_ = sample_process(o_.sim_pid);
      self_before_ = sample_process(getpid());
      replies_at_start_ = replies_total_;
      sent_at_start_ = sent_total_;
      phase_timer_->expires_after(std::chrono::microseconds(long(o_.duration_s * 1e6)));
      phase_timer_->async_wait([this](std::error_code ec) {
        if (!ec) finish_load();
      });
    });
  }

  // Open loop: sends what the schedule owes, in 1 ms steps.
  void tick() {
    if (!running_) return;
    double elapsed = std::chrono::duration<double>(Clock::now() - load_start_).count();
    auto owed = uint64_t(elapsed * o_.rate);
    while (rate_sent_ < owed && outstanding_.size() < o_.max_outstanding) {
      send_publish(int(rate_sent_ % uint64_t(o_.domains)));
      ++rate_sent_;
    }
    if (rate_sent_ < owed) skipped_ += owed - rate_sent_, rate_sent_ = owed;
    after(0.001, [this] { tick(); });
  }

  void finish_load() {
    auto end = Clock::now();
    running_ = false;
    measuring_ = false;
    ProcSample herald_after = sample_process(o_.herald_pid);
    ProcSample sim_after = sample_process(o_.sim_pid);
    ProcSample self_after = sample_process(getpid());
    double seconds = std::chrono::duration<double>(end - measure_start_).count();
    uint64_t replies = replies_total_ - replies_at_start_;
    std::vector<uint32_t> lat = latencies_us_;
    nlohmann::json types = nlohmann::json::object();
    for (const auto& [k, v] : reply_types_) types[k] = v;
    result_ = {
        {"mode", o_.rate > 0 ? "rate" : "saturation"},
        {"domains", o_.domains},
        {"window", o_.rate > 0 ? 0 : o_.window},
        {"offered_per_s", o_.rate},
        {"duration_s", seconds},
        {"connect_s", connect_s_},
        {"sent", sent_total_ - sent_at_start_},
        {"replies", replies},
        {"replies_per_s", double(replies) / seconds},
        {"reply_types", types},
        {"schedule_skipped", skipped_},
        {"rtt_ms", herald::bench::latency_ms(lat)},
        {"loadgen_cpu_s", self_after.cpu_s - self_before_.cpu_s},
    };
    if (o_.herald_pid > 0) {
      double cpu = herald_after.cpu_s - herald_before_.cpu_s;
      result_["herald_cpu_s"] = cpu;
      result_["herald_cpu_us_per_push"] = replies ? cpu * 1e6 / double(replies) : 0.0;
      result_["herald_rss_kib"] = herald_after.rss_kib;
    }
    if (o_.sim_pid > 0) {
      double cpu = sim_after.cpu_s - sim_before_.cpu_s;
      result_["sim_cpu_s"] = cpu;
      result_["sim_cpu_us_per_push"] = replies ? cpu * 1e6 / double(replies) : 0.0;
    }
    io_.stop();
  }

  // idle: at most --ramp streams being negotiated at once.
  void idle_ramp() {
    if (!idle_started_) {
      idle_started_ = true;
      herald_before_ = sample_process(o_.herald_pid);
    }
    size_t ready = ready_count(opened_);
    while (opened_ < o_.domains && size_t(opened_) - ready < size_t(o_.ramp)) {
      Element presence("presence", "jabber:server");
      presence.set_attr("from", names_[opened_]).set_attr("to", o_.herald_domain);
      s2s_->send(std::move(presence));
      ++opened_;
    }
    if (opened_ == o_.domains && ready == size_t(o_.domains)) {
      connect_s_ = since_begin();
      // Let Herald finish its side (the presence is read after SASL).
      after(2.0, [this] { idle_measure(); });
      return;
    }
    if (since_begin() > o_.connect_timeout_s)
      return fail("only " + std::to_string(ready) + " of " + std::to_string(o_.domains) +
                  " streams came up");
    after(0.05, [this] { idle_ramp(); });
  }

  void idle_measure() {
    ProcSample herald_after = sample_process(o_.herald_pid);
    size_t ready = ready_count(o_.domains);
    result_ = {
        {"mode", "idle"},
        {"connections", ready},
        {"connect_s", connect_s_},
        {"herald_rss_before_kib", herald_before_.rss_kib},
        {"herald_rss_after_kib", herald_after.rss_kib},
        {"herald_kib_per_connection",
         ready ? double(herald_after.rss_kib - herald_before_.rss_kib) / double(ready) : 0.0},
    };
    if (o_.hold_s > 0) {
      after(o_.hold_s, [this] { io_.stop(); });
    } else {
      io_.stop();
    }
  }

  struct Pending {
    Clock::time_point sent;
    int domain;
  };

  asio::io_context& io_;
  Options o_;
  asio::steady_timer timer_;
  std::unique_ptr<asio::steady_timer> phase_timer_;
  herald::xmpp::S2sService* s2s_ = nullptr;
  std::vector<std::string> names_;
  std::vector<Element> templates_;
  size_t next_template_ = 0;
  std::mt19937_64 rng_;
  std::string token_prefix_;
  uint64_t token_counter_ = 0;
  std::vector<std::string> hot_;
  uint64_t seq_ = 0;
  std::unordered_map<std::string, Pending> outstanding_;
  std::unordered_map<int, int> per_domain_;
  uint64_t sent_total_ = 0, replies_total_ = 0, sent_at_start_ = 0, replies_at_start_ = 0;
  uint64_t rate_sent_ = 0, skipped_ = 0;
  bool running_ = false, measuring_ = false, idle_started_ = false;
  int opened_ = 0;
  Clock::time_point t_begin_, load_start_, measure_start_;
  double connect_s_ = 0;
  ProcSample herald_before_, sim_before_, self_before_;
  std::vector<uint32_t> latencies_us_;
  std::map<std::string, uint64_t> reply_types_;
  nlohmann::json result_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"herald-loadgen: many XMPP servers publishing to one push domain"};
  Options o;
  std::string level = "error";
  cli.add_option("--herald", o.herald_address, "HOST:PORT of Herald's s2s listener")->required();
  cli.add_option("--herald-domain", o.herald_domain, "the push domain");
  cli.add_option("--suffix", o.suffix, "our domains are dN.SUFFIX");
  cli.add_option("--listen", o.listen, "where Herald's reply streams reach us (HOST:PORT)");
  cli.add_option("--cert", o.cert, "PEM certificate valid for *.SUFFIX")->required();
  cli.add_option("--key", o.key, "its key")->required();
  cli.add_option("--ca", o.ca, "CA that issued Herald's certificate");
  cli.add_option("--fixtures", o.fixtures_dir, "directory of publish fixtures (*.xml)");
  cli.add_flag("--include-v1", o.include_v1, "also send the v1 (secret) fixture");
  cli.add_flag("--v1-only", o.v1_only,
               "send only the v1 fixture (unknown nodes: Herald reads the store for each)");
  cli.add_option("--mode", o.mode, "load or idle")->check(CLI::IsMember({"load", "idle"}));
  cli.add_option("--domains", o.domains, "number of peer domains (one stream each)");
  cli.add_option("--window", o.window, "closed loop: publishes outstanding per domain");
  cli.add_option("--rate", o.rate, "open loop: publishes per second overall (0: closed loop)");
  cli.add_option("--max-outstanding", o.max_outstanding, "open loop: cap on outstanding IQs");
  cli.add_option("--warmup", o.warmup_s, "seconds of load before measuring");
  cli.add_option("--duration", o.duration_s, "seconds measured");
  cli.add_option("--hold", o.hold_s, "idle: seconds to hold the streams after measuring");
  cli.add_option("--ramp", o.ramp, "idle: streams negotiated at once");
  cli.add_option("--hot-fraction", o.hot_fraction, "share of publishes to a few hot tokens");
  cli.add_option("--hot-tokens", o.hot_tokens, "how many hot tokens");
  cli.add_option("--dead-fraction", o.dead_fraction, "share of publishes to --dead-token");
  cli.add_option("--dead-token", o.dead_tokens, "a token the simulator answers 410 (repeat)");
  cli.add_flag("--gate", o.gate, "say 'warm' on stderr, then wait for a line on stdin to measure");
  cli.add_option("--herald-pid", o.herald_pid, "read Herald's CPU time and RSS from /proc");
  cli.add_option("--sim-pid", o.sim_pid, "read the simulator's CPU time from /proc");
  cli.add_option("--connect-timeout", o.connect_timeout_s, "seconds for all streams to come up");
  cli.add_option("--log-level", level, "debug, info, warn, error");
  CLI11_PARSE(cli, argc, argv);
  if (o.mode == "load" && o.fixtures_dir.empty()) {
    std::cerr << "herald-loadgen: --fixtures is required in load mode\n";
    return 2;
  }

  herald::log::Options log_options;
  herald::log::parse_level(level, &log_options.level);
  herald::log::init(log_options);
  try {
    herald::xmpp::S2sConfig config;
    for (int i = 0; i < o.domains; ++i)
      config.domains.push_back({"d" + std::to_string(i) + "." + o.suffix, o.cert, o.key});
    config.listen.push_back(o.listen);
    config.extra_ca_file = o.ca;
    config.require_valid_certificates = true;
    config.bidi = false;
    config.max_connections_per_ip = 0;
    config.domain_request_rate = 0;
    config.max_queued_stanzas = 1'000'000;
    config.connect_timeout = std::chrono::milliseconds(long(o.connect_timeout_s * 1000));
    auto colon = o.herald_address.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("--herald must be HOST:PORT");
    config.routes[o.herald_domain] = {o.herald_address.substr(0, colon),
                                      uint16_t(std::stoi(o.herald_address.substr(colon + 1)))};
    asio::io_context io(1);
    Loadgen loadgen(io, o);
    herald::xmpp::S2sService s2s(io, config, loadgen);
    loadgen.attach(&s2s);
    s2s.start();
    loadgen.start();
    io.run();
    auto result = loadgen.result();
    std::cout << result.dump() << std::endl;
    // Leave without closing thousands of streams one by one.
    std::_Exit(result.contains("error") ? 1 : 0);
  } catch (const std::exception& e) {
    std::cerr << "herald-loadgen: " << e.what() << "\n";
    return 2;
  }
}
