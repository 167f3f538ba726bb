// Herald's observability endpoints on their own HTTP listener (operators
// keep it on localhost or an internal network):
//   GET /metrics      Prometheus text, or OpenMetrics when the Accept header
//                     asks for it; no label ever names a user (base/metrics.h)
//   GET /healthz      liveness: 200 "ok" when the event loop answers
//   GET /readyz       readiness: 200, or 503 when a push module's upstream is
//                     unreachable or refuses our credentials; JSON naming
//                     each module's state (metered_upstream.h), no secrets
//   GET /status       a self-contained HTML page (status_page.h)
//   GET /status.json  what the page shows: the domain, region and version,
//                     totals since start and the delivery ratio, the last
//                     hour per minute, the upstreams' states (a failure's
//                     reason only while it lasts), s2s counts (never peer
//                     names)
//
// Contract: single-threaded on the server's io_context. Wrap each module's
// upstream with wrap_upstream() and put iq_timer() on both seams of the app
// server before it handles stanzas; set_sources() before start(). The
// object must outlive every upstream it wrapped.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "apps/herald/status/iq_timer.h"
#include "apps/herald/status/metered_upstream.h"
#include "apps/herald/status/minute_ring.h"
#include "base/metrics.h"
#include "http/message.h"
#include "http/router.h"
#include "http/server.h"

namespace herald::push {
class AppServer;
class Tombstones;
}  // namespace herald::push
namespace herald::xmpp {
class S2sService;
}

namespace herald::app::status {

struct ObservabilityOptions {
  std::vector<std::string> listen;  // "host:port"; empty: no listener (tests use routes())
  size_t max_connections = 64;
  // What the status page names: the push domain, the region, the version.
  std::string domain;
  std::string region;
  std::string version;
};

class Observability {
 public:
  Observability(asio::io_context& io, ObservabilityOptions options);
  ~Observability();
  Observability(const Observability&) = delete;
  Observability& operator=(const Observability&) = delete;

  std::shared_ptr<push::Upstream> wrap_upstream(std::shared_ptr<push::Upstream> inner,
                                                const std::string& module,
                                                const std::string& service);
  IqTimer& iq_timer() { return iq_timer_; }
  // Any may be null (e.g. tests).
  void set_sources(const push::AppServer* app_server, const push::Tombstones* tombstones,
                   const xmpp::S2sService* s2s);

  void start();  // binds the listener; throws std::runtime_error naming the address
  void stop();

  const http::Router& router() const { return router_; }
  metrics::Registry& registry() { return registry_; }
  MinuteRing& ring() { return ring_; }
  std::vector<asio::ip::tcp::endpoint> local_endpoints() const;

  http::Response metrics(const http::Request& request);
  http::Response readyz() const;
  http::Response status_json() const;

 private:
  void collect();

  asio::io_context& io_;
  ObservabilityOptions options_;
  metrics::Registry registry_;
  MinuteRing ring_;
  IqTimer iq_timer_;
  std::vector<std::shared_ptr<MeteredUpstream>> upstreams_;
  const push::AppServer* app_server_ = nullptr;
  const push::Tombstones* tombstones_ = nullptr;
  const xmpp::S2sService* s2s_ = nullptr;
  std::chrono::steady_clock::time_point started_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace herald::app::status
