#include "apns-sim/server.h"

#include <chrono>

#include "apns-sim/provider_auth.h"
#include "base/log.h"

namespace herald::apns_sim {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

sim::H2Fault to_h2_fault(FaultKind kind) {
  switch (kind) {
    case FaultKind::kResetStream:
      return sim::H2Fault::kResetStream;
    case FaultKind::kRefuseStream:
      return sim::H2Fault::kRefuseStream;
    case FaultKind::kGoaway:
      return sim::H2Fault::kGoaway;
    default:
      return sim::H2Fault::kNone;
  }
}

sim::ServerOptions h2_options(const ServerOptions& options) {
  sim::ServerOptions h2;
  h2.host = options.host;
  h2.port = options.port;
  h2.tls.cert_file = options.cert_file;
  h2.tls.key_file = options.key_file;
  h2.tls.client_ca_file = options.client_ca_file;
  // Either auth method per connection: a certificate, or provider tokens.
  h2.tls.client_certificate_optional = true;
  h2.connection.log_name = "apns-sim";
  h2.connection.initial_concurrent_streams = options.connection.one_stream_until_authenticated
                                                 ? 1
                                                 : options.connection.max_concurrent_streams;
  return h2;
}

}  // namespace

// One per connection: the connection's provider-token state lives here.
class ApnsHandler : public sim::ConnectionHandler {
 public:
  ApnsHandler(Server& server, const JwtVerifier& verifier)
      : server_(server),
        options_(server.options_.connection),
        auth_(verifier, options_.limit_token_updates) {}

  void on_request(const sim::H2Request& h2, sim::Reply reply) override {
    Request request;
    request.method = h2.method;
    request.path = h2.path;
    request.headers = h2.headers;
    request.body = h2.body;
    request.body_size = h2.body_size;
    if (h2.client_certificate != nullptr && h2.client_certificate->present) {
      request.client_certificate = true;
      request.certificate_uid = h2.client_certificate->first("UID");
    }
    int64_t now = now_ms();
    Outcome outcome = server_.simulator_.handle(request, auth_, now);
    ServerStats& stats = server_.stats_;
    ++stats.requests;
    if (outcome.verdict.ok() && outcome.transport_fault == FaultKind::kNone) ++stats.accepted;
    stats.max_open_streams = std::max(stats.max_open_streams, h2.open_streams);
    if (h2.open_streams > h2.announced_concurrent_streams) ++stats.stream_limit_violations;
    if (server_.observer_) server_.observer_(request, outcome);
    if (server_.recorder_ != nullptr) {
      server_.recorder_->write(record_line(request, outcome, now, h2.connection_id, h2.stream_id));
    }
    if (spdlog::should_log(spdlog::level::debug)) {  // fingerprint() hashes; skip when off
      log::debug("apns-sim: connection {} stream {} token {} -> {} {}", h2.connection_id,
                 h2.stream_id, log::fingerprint(outcome.token), outcome.verdict.status,
                 outcome.verdict.reason);
    }
    sim::H2Response response;
    response.fault = to_h2_fault(outcome.transport_fault);
    response.status = outcome.verdict.status;
    response.headers.emplace_back("apns-id", outcome.apns_id);
    response.body = error_body(outcome.verdict);
    if (!response.body.empty()) response.headers.emplace_back("content-type", "application/json");
    if (options_.one_stream_until_authenticated && auth_.authenticated()) {
      response.raise_concurrent_streams = options_.max_concurrent_streams;
    }
    if (options_.goaway_after_requests > 0 && ++answered_ == options_.goaway_after_requests) {
      response.goaway_after = true;
    }
    if (outcome.delay_ms <= 0) {
      reply(std::move(response));
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(server_.io_,
                                                      std::chrono::milliseconds(outcome.delay_ms));
    timer->async_wait([timer, reply = std::move(reply), response = std::move(response)](
                          std::error_code) mutable { reply(std::move(response)); });
  }

 private:
  Server& server_;
  const ConnectionOptions& options_;
  ProviderAuth auth_;
  uint32_t answered_ = 0;
};

Server::Server(asio::io_context& io, ServerOptions options, const JwtVerifier* verifier,
               Simulator& simulator, Recorder* recorder)
    : io_(io),
      options_(std::move(options)),
      verifier_(verifier),
      simulator_(simulator),
      recorder_(recorder),
      server_(io, h2_options(options_),
              [this](uint64_t) { return std::make_unique<ApnsHandler>(*this, *verifier_); }) {}

bool Server::start(std::string* error) { return server_.start(error); }

}  // namespace herald::apns_sim
