// One event loop of the c2s load generator and the clients it drives: its
// share of the users (user u belongs to loop u % loops; in `messages` the
// pair 2k, 2k+1 shares a loop), and the mode's logic:
//   idle      log every user in (at most `ramp` negotiations at once per
//             process) and hold the sessions;
//   logins    cycles of log in (to the roster result), initial presence,
//             log out, `concurrency` at once, each on a user not in a cycle;
//   messages  log every user in, then each session sends its partner chat
//             messages: closed loop (`window` in flight per session, each
//             delivered message answered by its receiver) or open loop
//             (`rate` per second over the whole process).
// The coordinator (main.cc) reads the atomic counters while the loop runs,
// sets the measured window, and reads the rest once the thread is joined.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "c2s-loadgen/c2s_client.h"

namespace herald::bench {

struct LoadOptions {
  std::string mode = "idle";  // idle, logins, messages
  uint32_t first_user = 0;
  uint32_t users = 100;       // idle, messages: sessions; logins: the pool
  int loops = 1;
  int ramp = 200;             // idle, messages: negotiations in flight per process
  int concurrency = 50;       // logins: cycles in flight per process
  int window = 1;             // messages, closed loop: in flight per session
  double rate = 0;            // messages per second per process; 0: closed loop
  size_t body_bytes = 64;
};

// What the coordinator and the loops share while they run.
struct Phase {
  // Steady-clock nanoseconds; events in [start, end) are measured.
  std::atomic<int64_t> window_start{INT64_MAX};
  std::atomic<int64_t> window_end{INT64_MAX};
};

int64_t now_ns();

class Worker : public C2sClient::Listener {
 public:
  Worker(int index, const LoadOptions& options, const ClientSettings& settings, Phase& phase);
  ~Worker() override;
  void run();   // starts the thread
  void stop();  // stops the loop and joins the thread
  // messages: all sessions are up; start sending (posted to the loop).
  void start_traffic();
  // Waits until the loop has run everything posted before: what it wrote
  // until then may be read.
  void sync();

  // Read while running.
  std::atomic<uint32_t> online{0}, failed{0}, dropped{0};
  std::atomic<uint64_t> logins_total{0};
  // Read after stop().
  std::vector<uint32_t> login_us;    // idle, messages: every login; logins: in the window
  std::vector<uint32_t> latency_us;  // messages sent and delivered in the window
  uint64_t logins_in_window = 0, failed_in_window = 0;
  uint64_t sent_in_window = 0, delivered_in_window = 0, skipped = 0;
  uint64_t roster_items = 0, roster_fetches = 0;
  std::map<std::string, uint64_t> errors;  // the first few kinds

 private:
  void on_online(C2sClient& client) override;
  void on_message(C2sClient& client, std::string_view body) override;
  void on_closed(C2sClient& client, const std::string& error) override;

  void start_next();    // idle, messages: the next user's login; logins: the next cycle
  void send_to_partner(C2sClient& client);
  void tick();          // open loop
  bool in_window(int64_t t) const;
  void note_error(const std::string& error);

  int index_;
  LoadOptions o_;
  ClientSettings settings_;
  Phase& phase_;
  xmpp::sasl::SaltedPasswordCache cache_;
  CertificateCheck check_;
  asio::io_context io_{1};
  std::thread thread_;
  std::vector<uint32_t> users_;                              // this loop's share
  std::vector<std::shared_ptr<C2sClient>> clients_;          // by position in users_
  std::vector<bool> busy_;                                   // logins: user in a cycle
  size_t next_ = 0;
  size_t in_flight_ = 0;  // negotiations (idle, messages) or cycles (logins)
  size_t max_in_flight_;
  std::string padding_;
  bool traffic_ = false;
  std::unique_ptr<asio::steady_timer> ticker_;
  Clock::time_point traffic_start_;
  uint64_t rate_sent_ = 0;
  size_t rate_next_ = 0;
};

}  // namespace herald::bench
