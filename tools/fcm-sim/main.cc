// fcm-sim: a stand-alone simulator of Google's OAuth2 token endpoint and the
// FCM HTTP v1 send API, for integration and load tests. See README.md.
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "base/host_port.h"
#include "base/log.h"
#include "fcm-sim/assertion_verifier.h"
#include "fcm-sim/simulator.h"
#include "fcm-sim/token_behaviours.h"
#include "sim-common/h2_server.h"

namespace {

using namespace herald::fcm_sim;

int fail(const std::string& message) {
  std::fprintf(stderr, "fcm-sim: %s\n", message.c_str());
  return 2;
}

std::string path_of(const std::string& url) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fcm-sim: simulator of Google's OAuth2 token endpoint and FCM HTTP v1"};
  std::string listen = "127.0.0.1:0";
  herald::sim::ServerOptions server_options;
  std::string account_file;
  std::string audience;
  SimConfig config;
  int64_t token_lifetime = 3600;
  std::string behaviours_file;
  std::vector<std::string> token_specs;
  std::string record_file;
  std::string log_level = "info";

  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--cert", server_options.tls.cert_file, "TLS certificate chain (PEM)")->required();
  app.add_option("--key", server_options.tls.key_file, "TLS private key (PEM)")->required();
  app.add_option("--service-account", account_file,
                 "service-account JSON whose key signs the assertions (client_email, "
                 "private_key, token_uri, project_id)")
      ->required();
  app.add_option("--project", config.project_id, "accepted project id (default: the file's)");
  app.add_option("--audience", audience, "expected assertion aud (default: the file's token_uri)");
  app.add_option("--token-path", config.token_path,
                 "path of the token endpoint (default: the path of the audience)");
  app.add_option("--token-lifetime", token_lifetime, "expires_in of issued access tokens (s)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  app.add_option("--retry-after", config.retry_after_s,
                 "Retry-After seconds on QUOTA_EXCEEDED/UNAVAILABLE (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  app.add_option("--tokens", behaviours_file,
                 "file of 'TOKEN BEHAVIOUR' lines (ok, UNREGISTERED, INVALID_ARGUMENT, "
                 "SENDER_ID_MISMATCH, QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL); re-read when it "
                 "changes");
  app.add_option("--token", token_specs, "TOKEN=BEHAVIOUR (repeat)");
  app.add_option("--record", record_file, "append one JSON line per request to this file");
  app.add_option("--log-level", log_level, "debug, info, warn or error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  herald::log::Options log_options;
  if (!herald::log::parse_level(log_level, &log_options.level)) {
    return fail("unknown --log-level " + log_level);
  }
  herald::log::init(log_options);

  auto host_port = herald::parse_host_port(listen);
  if (!host_port) return fail("--listen wants HOST:PORT, got " + listen);
  server_options.host = host_port->host;
  server_options.port = host_port->port;

  std::ifstream in(account_file, std::ios::binary);
  if (!in) return fail("cannot read " + account_file);
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  ServiceAccountInfo account = parse_service_account_info(text.str(), &error);
  if (account.client_email.empty()) return fail(account_file + ": " + error);
  if (audience.empty()) audience = account.token_uri;
  if (app.count("--token-path") == 0) config.token_path = path_of(audience);
  if (config.project_id.empty()) config.project_id = account.project_id;
  if (config.project_id.empty()) return fail("no --project and no project_id in " + account_file);
  config.token_lifetime = std::chrono::seconds(token_lifetime);
  auto verifier = AssertionVerifier::create(account, audience, &error);
  if (!verifier) return fail(account_file + ": " + error);

  TokenBehaviours behaviours(behaviours_file);
  for (const std::string& spec : token_specs) {
    size_t eq = spec.rfind('=');
    auto behaviour = eq == std::string::npos ? std::nullopt : parse_behaviour(spec.substr(eq + 1));
    if (!behaviour || eq == 0) return fail("bad --token " + spec);
    behaviours.set(spec.substr(0, eq), *behaviour);
  }
  std::unique_ptr<Recorder> recorder;
  if (!record_file.empty()) {
    recorder = std::make_unique<Recorder>(record_file);
    if (!recorder->ok()) return fail("cannot open --record file " + record_file);
  }

  Simulator simulator(config, *verifier, behaviours, recorder.get());
  server_options.connection.log_name = "fcm-sim";
  asio::io_context io(1);
  herald::sim::H2Server server(io, server_options, simulator.handler_factory());
  if (!server.start(&error)) return fail(error);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (!ec) server.stop();
  });
  std::string shown_host = server_options.host.find(':') == std::string::npos
                               ? server_options.host
                               : "[" + server_options.host + "]";
  std::printf("fcm-sim listening on %s:%u\n", shown_host.c_str(), unsigned(server.port()));
  std::fflush(stdout);
  io.run();
  return 0;
}
