#include "apps/herald/status/observability.h"

#include <nlohmann/json.hpp>

#include "apps/herald/status/status_page.h"
#include "push/app_server.h"
#include "push/tombstones.h"
#include "xmpp/s2s/s2s_service.h"

namespace herald::app::status {
namespace {

constexpr const char* kStates[] = {"idle", "ok", "throttled", "unreachable", "refused"};

http::Response json_response(int status, const nlohmann::json& body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump();  // Cache-Control: no-store is the server's default
  return r;
}

}  // namespace

Observability::Observability(asio::io_context& io, ObservabilityOptions options)
    : io_(io),
      options_(std::move(options)),
      iq_timer_([this](double seconds) {
        registry_
            .histogram("herald_iq_round_trip_seconds",
                       "Publish IQ received to reply sent, every outcome.",
                       metrics::latency_buckets())
            .observe(seconds);
        ring_.iq_latency(std::chrono::system_clock::now(), seconds);
      }),
      started_(std::chrono::steady_clock::now()) {
  registry_.histogram("herald_iq_round_trip_seconds",
                      "Publish IQ received to reply sent, every outcome.",
                      metrics::latency_buckets());
  registry_.gauge("herald_start_time_seconds", "When this Herald process started (Unix time).")
      .set(double(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()));
  registry_.add_collector([this] { collect(); });

  router_.add("GET", "/metrics", [this](const http::Request& r) { return metrics(r); });
  router_.add("GET", "/healthz", [](const http::Request&) {
    // Answering at all is the proof: handlers run on the event loop.
    return http::text_response(200, "ok\n");
  });
  router_.add("GET", "/readyz", [this](const http::Request&) { return readyz(); });
  router_.add("GET", "/status.json", [this](const http::Request&) { return status_json(); });
  router_.add("GET", "/status", [](const http::Request&) {
    http::Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = status_page_html();
    r.headers.push_back({"Content-Security-Policy",
                         "default-src 'none'; script-src 'unsafe-inline'; "
                         "style-src 'unsafe-inline'; connect-src 'self'"});
    return r;
  });
}

Observability::~Observability() = default;

std::shared_ptr<push::Upstream> Observability::wrap_upstream(std::shared_ptr<push::Upstream> inner,
                                                             const std::string& module,
                                                             const std::string& service) {
  auto wrapped = std::make_shared<MeteredUpstream>(std::move(inner), module, service, registry_,
                                                   ring_);
  upstreams_.push_back(wrapped);
  return wrapped;
}

void Observability::set_sources(const push::AppServer* app_server,
                                const push::Tombstones* tombstones, const xmpp::S2sService* s2s) {
  app_server_ = app_server;
  tombstones_ = tombstones;
  s2s_ = s2s;
}

void Observability::collect() {
  metrics::Registry& r = registry_;
  if (app_server_) {
    const push::AppServerCounters& c = app_server_->counters();
    r.counter("herald_publishes_received", "Publish IQs received.").set_total(c.publishes);
    auto refused = [&](const char* reason, uint64_t n) {
      r.counter("herald_publishes_refused",
                "Publishes answered with an error before any upstream request, by reason.",
                {"reason"}, {reason})
          .set_total(n);
    };
    refused("bad_request", c.bad_request);
    refused("v1_refused", c.v1_refused);
    refused("unknown_module", c.unknown_module);
    refused("tombstoned", c.tombstoned);
    r.counter("herald_publish_timeouts",
              "Publishes answered `wait` because the upstream had not answered in time.")
        .set_total(c.timed_out);
    auto limited = [&](const char* layer, const char* action, uint64_t n) {
      r.counter("herald_rate_limited",
                "Requests slowed by a rate limit: push coalescing (held, absorbed) and s2s "
                "per-domain request refusals.",
                {"layer", "action"}, {layer, action})
          .set_total(n);
    };
    limited("push", "held", c.held);
    limited("push", "absorbed", c.absorbed);
    auto iq = [&](const char* kind, uint64_t n) {
      r.counter("herald_iq_requests", "Other IQ requests answered, by kind.", {"kind"}, {kind})
          .set_total(n);
    };
    iq("ping", c.pings);
    iq("disco_info", c.disco_info);
    iq("unsupported", c.unsupported);
    r.gauge("herald_queue_depth", "Items waiting, by queue.", {"queue"}, {"held_pushes"})
        .set(double(app_server_->held_count()));
  }
  r.gauge("herald_queue_depth", "Items waiting, by queue.", {"queue"}, {"iq_awaiting_reply"})
      .set(double(iq_timer_.pending()));
  if (tombstones_)
    r.gauge("herald_tombstones", "Dead device tokens remembered (as hashes).")
        .set(double(tombstones_->size()));
  if (s2s_) {
    xmpp::S2sService::Stats s = s2s_->stats();
    auto conn = [&](const char* direction, const char* state, size_t n) {
      r.gauge("herald_s2s_connections", "s2s connections, by direction and state.",
              {"direction", "state"}, {direction, state})
          .set(double(n));
    };
    conn("inbound", "open", s.inbound);
    conn("outbound", "ready", s.outbound_ready);
    conn("outbound", "connecting", s.outbound_connecting);
    conn("outbound", "idle", s.outbound_idle);
    r.gauge("herald_s2s_peer_domains", "Distinct peer domains with a stream (a count only).")
        .set(double(s.peer_domains));
    r.gauge("herald_queue_depth", "Items waiting, by queue.", {"queue"}, {"s2s_outbound"})
        .set(double(s.queued_stanzas));
    r.counter("herald_rate_limited",
              "Requests slowed by a rate limit: push coalescing (held, absorbed) and s2s "
              "per-domain request refusals.",
              {"layer", "action"}, {"s2s", "refused"})
        .set_total(s.requests_refused);
  }
  size_t in_flight = 0;
  for (const auto& u : upstreams_) {
    const UpstreamState& st = u->state();
    in_flight += st.in_flight;
    r.gauge("herald_upstream_ready", "1 when the module's upstream is ready (see /readyz).",
            {"module"}, {st.module})
        .set(st.ready ? 1 : 0);
    for (const char* state : kStates)
      r.gauge("herald_upstream_state", "The module's upstream state (1 for the current one).",
              {"module", "state"}, {st.module, state})
          .set(st.state == state ? 1 : 0);
  }
  r.gauge("herald_queue_depth", "Items waiting, by queue.", {"queue"}, {"upstream_in_flight"})
      .set(double(in_flight));
}

http::Response Observability::metrics(const http::Request& request) {
  metrics::Format format = metrics::negotiate(request.header("accept"));
  http::Response r;
  r.content_type = metrics::content_type(format);
  r.body = registry_.render(format);
  return r;
}

http::Response Observability::readyz() const {
  nlohmann::json modules = nlohmann::json::array();
  nlohmann::json not_ready = nlohmann::json::array();
  for (const auto& u : upstreams_) {
    const UpstreamState& st = u->state();
    nlohmann::json m{{"module", st.module}, {"service", st.service}, {"state", st.state},
                     {"ready", st.ready}};
    if (!st.ready) {
      m["reason"] = st.reason;
      not_ready.push_back(st.module);
    }
    modules.push_back(std::move(m));
  }
  bool ready = not_ready.empty();
  return json_response(ready ? 200 : 503, {{"ready", ready},
                                           {"not_ready", std::move(not_ready)},
                                           {"modules", std::move(modules)}});
}

http::Response Observability::status_json() const {
  auto now = std::chrono::system_clock::now();
  nlohmann::json j = ring_.to_json(now);
  j["now"] = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  j["uptime_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - started_)
                            .count();
  j["service"] = {{"domain", options_.domain}, {"region", options_.region},
                  {"version", options_.version}};
  nlohmann::json ups = nlohmann::json::array();
  uint64_t sent = 0, delivered = 0, in_flight = 0;
  for (const auto& u : upstreams_) {
    const UpstreamState& st = u->state();
    nlohmann::json e{{"module", st.module}, {"service", st.service}, {"state", st.state},
                     {"ready", st.ready}, {"sent", st.sent}, {"delivered", st.delivered},
                     {"in_flight", st.in_flight}};
    if (!st.reason.empty()) e["reason"] = st.reason;  // only while the failure lasts
    if (st.last_answer != std::chrono::system_clock::time_point{})
      e["last_answer_seconds_ago"] =
          std::chrono::duration_cast<std::chrono::seconds>(now - st.last_answer).count();
    ups.push_back(std::move(e));
    sent += st.sent;
    delivered += st.delivered;
    in_flight += st.in_flight;
  }
  j["upstreams"] = std::move(ups);
  // Since start: what came in, what went to Apple and Google, and how much
  // of what they answered was delivered.
  const uint64_t answered = sent - in_flight;
  j["totals"] = {{"publishes", app_server_ ? app_server_->counters().publishes : 0},
                 {"sent", sent},
                 {"delivered", delivered},
                 {"failed", answered - delivered},
                 {"in_flight", in_flight}};
  j["delivery_ratio"] = answered ? nlohmann::json(double(delivered) / double(answered))
                                 : nlohmann::json(nullptr);
  nlohmann::json s2s{{"peer_domains", 0}, {"inbound", 0}, {"outbound_ready", 0}, {"queued", 0}};
  if (s2s_) {
    xmpp::S2sService::Stats s = s2s_->stats();
    s2s = {{"peer_domains", s.peer_domains}, {"inbound", s.inbound},
           {"outbound_ready", s.outbound_ready}, {"queued", s.queued_stanzas}};
  }
  j["s2s"] = std::move(s2s);
  j["tombstones"] = tombstones_ ? tombstones_->size() : 0;
  return json_response(200, j);
}

void Observability::start() {
  if (options_.listen.empty()) return;
  http::ServerOptions o;
  o.name = "observability";
  o.listen = options_.listen;
  o.max_connections = options_.max_connections;
  server_ = std::make_unique<http::Server>(io_, o, router_);
  server_->start();
}

void Observability::stop() {
  if (server_) server_->stop();
}

std::vector<asio::ip::tcp::endpoint> Observability::local_endpoints() const {
  return server_ ? server_->local_endpoints() : std::vector<asio::ip::tcp::endpoint>{};
}

}  // namespace herald::app::status
