// The XEP-0357 push app server behind one push domain (v2 protocol, and v1
// when a Registrar is set).
//
// Receives the stanzas the transport delivers for the domain and answers
// every IQ get/set exactly once: disco#info and XEP-0199 ping on the domain,
// the v1 ad-hoc commands (push/v1/adhoc.h), and pubsub publishes, which it
// checks in this order (docs/protocol.md):
//   parse → v1 (secret without pushModule: the node's registration, read
//   from the store, gives module and token; unknown node or wrong secret →
//   cancel, the store failed or did not answer within its bound → wait;
//   without v1 every such node is unknown) → known module → token
//   plausible for the module's upstream →
//   tombstone → per-token rate limit → send via the module's Upstream,
// and maps the outcome to a result or an error (reply_policy.h). IQ results
// and errors addressed to us, messages and presences are ignored.
//
// Nothing here waits: a v1 lookup goes to the store's workers and a shared
// rate limit to Redis's (each answers on this loop within its bound: 4.5 s
// and 50 ms by default), and a v2 publish never touches the store
// (tombstones are in memory, written behind). A publish the upstream has
// not settled within `reply_timeout` is answered with `wait` (ejabberd gives
// up after 32 s); the late outcome still updates tombstones. Runs on one
// io_context thread; handle() must be called there.
//
// Privacy: logs carry the sender's domain (never a JID), the module, the
// outcome and a token fingerprint; the ping sender only at debug level.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "push/module.h"
#include "push/rate_limiter.h"
#include "push/shared_rate_limiter.h"
#include "push/reply_policy.h"
#include "push/tombstones.h"
#include "push/upstream_backoff.h"
#include "push/v1/registrar.h"
#include "xml/element.h"
#include "xmpp/stanza_channel.h"

namespace herald::push {

struct AppServerOptions {
  RateLimitConfig rate_limit;
  // Several nodes: the limit shared through Redis (outlives the server);
  // null: this node's own limiter.
  SharedRateLimiter* shared_rate_limit = nullptr;
  std::chrono::system_clock::duration tombstone_lifetime = std::chrono::hours(24 * 30);
  // BadDeviceToken buries a token only if its module delivered this recently.
  std::chrono::steady_clock::duration recent_success_period = std::chrono::hours(24);
  std::chrono::steady_clock::duration reply_timeout = std::chrono::seconds(20);
  BackoffConfig backoff;
};

// Monotonic counts, for metrics.
struct AppServerCounters {
  uint64_t publishes = 0;       // publish IQs received
  uint64_t bad_request = 0;     // malformed publish or implausible token
  uint64_t v1_refused = 0;      // v1 publish (no v1 registrations exist)
  uint64_t unknown_module = 0;  // missing/unknown pushModule
  uint64_t tombstoned = 0;      // refused at once: token known dead
  uint64_t backing_off = 0;     // answered `wait` at once: 429/5xx back-off
  uint64_t held = 0;            // coalesced: held to the window's end
  uint64_t absorbed = 0;        // coalesced into an already held push
  uint64_t timed_out = 0;       // answered `wait` before the upstream settled
  // Outcomes of upstream sends (publishes sent at once and held ones).
  uint64_t delivered = 0;
  uint64_t token_dead = 0;
  uint64_t token_invalid = 0;
  uint64_t upstream_error = 0;  // rejected, throttled, unavailable, unknown
  uint64_t pings = 0;
  uint64_t disco_info = 0;
  uint64_t unsupported = 0;  // other IQ get/set, answered service-unavailable
};

class AppServer : public xmpp::StanzaHandler {
 public:
  // `modules`: at most one should have is_default. `sender` and `tombstones`
  // must outlive the server.
  AppServer(asio::io_context& io, std::string domain, xmpp::StanzaSender& sender,
            std::vector<PushModuleConfig> modules, Tombstones& tombstones,
            AppServerOptions options = {});
  ~AppServer() override;
  AppServer(const AppServer&) = delete;
  AppServer& operator=(const AppServer&) = delete;

  void handle(xml::Element stanza) override;

  // Turns v1 registration on (ad-hoc commands, disco, publishes with a
  // secret looked up here). `registrar` must outlive the server; nullptr
  // turns it off (v1 publishes are then refused as unknown nodes).
  void set_v1(v1::Registrar* registrar) { v1_ = registrar; }

  const AppServerCounters& counters() const { return counters_; }
  size_t held_count() const { return held_.size(); }  // pushes waiting for their window

  // Shutdown: each held push goes upstream at once instead of at its window's
  // end (its publish was already answered `result`, so waiting would lose
  // it), and pushes held from now on go at once too. Returns how many were
  // sent now. held_sending() counts held pushes sent and not yet settled,
  // for the shutdown to wait on (within its bound).
  size_t send_held_now();
  size_t held_sending() const { return held_sending_; }
  const std::string& domain() const { return domain_; }

 private:
  struct Module {
    PushModuleConfig config;
    std::optional<std::chrono::steady_clock::time_point> last_success;
    UpstreamBackoff backoff;
  };
  struct Held;
  struct Pending;

  void handle_get(const xml::Element& iq);
  void handle_publish(const xml::Element& iq);
  // The steps of a publish after parsing; `iq` may be the request or its
  // envelope (attributes only), all a reply needs.
  void authorized(const xml::Element& iq, const std::string& from_domain, const std::string& node,
                  bool important, v1::Answer answer, v1::Target target);
  void route(const xml::Element& iq, const std::string& from_domain, const std::string& token,
             const std::optional<std::string>& wanted_module, bool important,
             const std::string& v1_node);
  void decide(const xml::Element& iq, const std::string& from_domain, Module& module, PushJob job,
              const std::string& token_hash, const std::string& v1_node, RateVerdict verdict);
  // `token_hash` is the token's SHA-256; `v1_node` is the registration a v1
  // publish named ("" for v2).
  void send_now(const xml::Element& iq, const std::string& from_domain, Module& module,
                PushJob job, const std::string& token_hash, const std::string& v1_node);
  void hold(const std::string& from_domain, const std::string& module_name, PushJob job,
            std::chrono::steady_clock::time_point send_at, const std::string& v1_node);
  void send_held(const std::string& token);
  // Applies an upstream outcome (counters, module success time, tombstone)
  // and returns how to answer it.
  ReplyPlan apply_outcome(Module& module, const std::string& token, const UpstreamResult& result,
                          const std::string& v1_node);
  Module* find_module(const std::optional<std::string>& name);
  bool addressed_to_domain(const xml::Element& iq) const;

  asio::io_context& io_;
  std::string domain_;
  xmpp::StanzaSender& sender_;
  std::map<std::string, Module, std::less<>> modules_;
  std::optional<std::string> default_module_;
  Tombstones& tombstones_;
  v1::Registrar* v1_ = nullptr;
  AppServerOptions options_;
  RateLimiter limiter_;
  std::map<std::string, std::unique_ptr<Held>> held_;  // by token
  bool flush_held_ = false;  // shutting down: held pushes go at once
  size_t held_sending_ = 0;
  AppServerCounters counters_;
  // Upstream callbacks and timers hold a weak_ptr to this: when the server is
  // gone they do nothing.
  std::shared_ptr<AppServer*> self_;
};

}  // namespace herald::push
