// apns-sim: a stand-alone simulator of Apple's APNs provider API for load
// tests and integration tests. See README.md for the options and behaviour.
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "apns-sim/dead_tokens.h"
#include "apns-sim/fault_injector.h"
#include "apns-sim/jwt_verifier.h"
#include "apns-sim/recorder.h"
#include "apns-sim/server.h"
#include "apns-sim/simulator.h"
#include "apns-sim/token_behaviour.h"
#include "base/encoding.h"
#include "base/log.h"

namespace {

using namespace herald::apns_sim;

bool split_host_port(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  *host = text.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  try {
    int value = std::stoi(text.substr(colon + 1));
    if (value < 0 || value > 65535) return false;
    *port = uint16_t(value);
  } catch (const std::exception&) {
    return false;
  }
  return !host->empty();
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream content;
  content << in.rdbuf();
  *out = content.str();
  return true;
}

std::string lowercase(std::string text) {
  for (char& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "apns-sim: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"apns-sim: simulator of Apple's APNs provider API (HTTP/2, token auth)"};
  std::string listen = "127.0.0.1:0";
  ServerOptions server_options;
  std::string auth_key_file;
  JwtConfig jwt;
  std::vector<std::string> topics;
  std::string dead_tokens_file;
  std::string record_file;
  uint32_t max_streams = 1000;
  bool one_stream_until_auth = false;
  bool no_token_update_limit = false;
  std::vector<std::string> fail_tokens;
  std::vector<std::string> fail_rates;
  std::vector<std::string> token_specs;
  uint32_t goaway_after = 0;
  uint64_t seed = 1;
  std::string log_level = "info";

  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--cert", server_options.cert_file, "TLS certificate chain (PEM)")->required();
  app.add_option("--client-ca", server_options.client_ca_file,
                 "accept client certificates from this CA (PEM): certificate-based provider auth");
  app.add_option("--key", server_options.key_file, "TLS private key (PEM)")->required();
  app.add_option("--auth-key-pub", auth_key_file,
                 "provider token key: P-256 public key PEM (or the .p8 private key)")
      ->required();
  app.add_option("--key-id", jwt.key_id, "expected JWT kid")->required();
  app.add_option("--team-id", jwt.team_id, "expected JWT iss")->required();
  app.add_option("--topic", topics, "allowed apns-topic (repeat; add the .voip topic for VoIP)")
      ->required();
  app.add_option("--dead-tokens", dead_tokens_file,
                 "file of tokens answered with 410 Unregistered ('token [timestamp_ms]' lines; "
                 "re-read when it changes)");
  app.add_option("--record", record_file, "append one JSON line per request to this file");
  app.add_option("--max-concurrent-streams", max_streams, "SETTINGS_MAX_CONCURRENT_STREAMS")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 30));
  app.add_flag("--one-stream-until-auth", one_stream_until_auth,
               "advertise 1 concurrent stream until a request authenticates, like APNs");
  app.add_flag("--no-token-update-limit", no_token_update_limit,
               "accept a new JWT on a connection at any time (no 429 "
               "TooManyProviderTokenUpdates)");
  app.add_option("--fail-token", fail_tokens,
                 "TOKEN=KIND: always fail requests to TOKEN; KIND is 429, 500, 503, reset, "
                 "refuse or goaway");
  app.add_option("--fail-rate", fail_rates,
                 "KIND=FRACTION: fail that fraction of valid requests with KIND");
  app.add_option("--token", token_specs,
                 "TOKEN=BEHAVIOUR (repeat): ok, dead[@MS], slow:N, 429, 500, 503, reset, refuse, "
                 "goaway or STATUS:Reason (e.g. 400:BadDeviceToken); see token_behaviour.h");
  app.add_option("--goaway-after", goaway_after,
                 "send GOAWAY on a connection after answering this many requests (0: never)")
      ->capture_default_str();
  app.add_option("--seed", seed, "seed for --fail-rate draws")->capture_default_str();
  app.add_option("--log-level", log_level, "debug logs every request to stderr")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  herald::log::Options log_options;
  if (!herald::log::parse_level(log_level, &log_options.level)) {
    return fail("unknown --log-level " + log_level);
  }
  herald::log::init(log_options);

  if (!split_host_port(listen, &server_options.host, &server_options.port)) {
    return fail("--listen wants HOST:PORT, got " + listen);
  }
  if (!read_file(auth_key_file, &jwt.key_pem)) return fail("cannot read " + auth_key_file);
  std::string error;
  std::unique_ptr<JwtVerifier> verifier = JwtVerifier::create(jwt, &error);
  if (!verifier) return fail(auth_key_file + ": " + error);

  FaultInjector faults(seed);
  for (const std::string& spec : fail_tokens) {
    size_t eq = spec.find('=');
    auto kind = eq == std::string::npos ? std::nullopt : parse_fault_kind(spec.substr(eq + 1));
    if (!kind || !herald::is_hex(spec.substr(0, eq))) return fail("bad --fail-token " + spec);
    faults.add_token_fault(lowercase(spec.substr(0, eq)), *kind);
  }
  for (const std::string& spec : fail_rates) {
    size_t eq = spec.find('=');
    auto kind = eq == std::string::npos ? std::nullopt : parse_fault_kind(spec.substr(0, eq));
    double fraction = -1;
    try {
      if (kind) fraction = std::stod(spec.substr(eq + 1));
    } catch (const std::exception&) {
    }
    if (!kind || fraction < 0 || fraction > 1) return fail("bad --fail-rate " + spec);
    faults.add_rate(*kind, fraction);
  }

  TokenBehaviours behaviours;
  for (const std::string& spec : token_specs) {
    auto parsed = parse_token_behaviour(spec);
    if (!parsed) return fail("bad --token " + spec);
    behaviours[parsed->first] = parsed->second;
  }

  std::unique_ptr<DeadTokens> dead_tokens;
  if (!dead_tokens_file.empty()) dead_tokens = std::make_unique<DeadTokens>(dead_tokens_file);
  std::unique_ptr<Recorder> recorder;
  if (!record_file.empty()) {
    recorder = std::make_unique<Recorder>(record_file);
    if (!recorder->ok()) return fail("cannot open --record file " + record_file);
  }

  ValidatorConfig validator;
  validator.topics.insert(topics.begin(), topics.end());
  Simulator simulator(std::move(validator), dead_tokens.get(), faults.empty() ? nullptr : &faults);
  simulator.set_token_behaviours(std::move(behaviours));

  server_options.connection.max_concurrent_streams = max_streams;
  server_options.connection.one_stream_until_authenticated = one_stream_until_auth;
  server_options.connection.limit_token_updates = !no_token_update_limit;
  server_options.connection.goaway_after_requests = goaway_after;

  asio::io_context io(1);
  Server server(io, server_options, verifier.get(), simulator, recorder.get());
  if (!server.start(&error)) return fail(error);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (!ec) server.stop();
  });

  std::string shown_host = server_options.host.find(':') == std::string::npos
                               ? server_options.host
                               : "[" + server_options.host + "]";
  std::printf("apns-sim listening on %s:%u\n", shown_host.c_str(), unsigned(server.port()));
  std::fflush(stdout);
  io.run();
  return 0;
}
