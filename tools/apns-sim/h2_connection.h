// One client connection: TLS (already accepted), then an nghttp2 server
// session. Every complete request goes to the Simulator; the answer is a
// response, or the injected transport event. Output nghttp2 produces while
// handling one read is gathered into one TLS write. Single-threaded: all
// handlers run on the server's io_context.
#pragma once

#include <nghttp2/nghttp2.h>

#include <array>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "apns-sim/jwt_verifier.h"
#include "apns-sim/provider_auth.h"
#include "apns-sim/recorder.h"
#include "apns-sim/simulator.h"

namespace herald::apns_sim {

struct ConnectionOptions {
  uint32_t max_concurrent_streams = 1000;
  // Like APNs with token auth: SETTINGS_MAX_CONCURRENT_STREAMS is 1 until a
  // request on the connection passes authentication.
  bool one_stream_until_authenticated = false;
  bool limit_token_updates = true;
};

class H2Connection : public std::enable_shared_from_this<H2Connection> {
 public:
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

  H2Connection(TlsStream stream, uint64_t id, const ConnectionOptions& options,
               const JwtVerifier& verifier, Simulator& simulator, Recorder* recorder,
               std::function<void(uint64_t)> on_closed);
  ~H2Connection();
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  void start();  // TLS handshake, then HTTP/2
  void close();

 private:
  friend struct H2Callbacks;
  struct Stream {
    Request request;
    std::string response_body;
    size_t body_sent = 0;
  };

  bool start_session();
  void read();
  void flush();
  void handle_request(int32_t stream_id, Stream& stream);
  void respond(int32_t stream_id, Stream& stream, const Outcome& outcome);

  TlsStream stream_;
  uint64_t id_;
  ConnectionOptions options_;
  Simulator& simulator_;
  Recorder* recorder_;
  std::function<void(uint64_t)> on_closed_;
  ProviderAuth auth_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;
  std::array<uint8_t, 16 * 1024> read_buffer_;
  std::string write_buffer_;
  bool writing_ = false;
  bool closed_ = false;
  bool close_after_flush_ = false;
  bool streams_raised_ = false;
};

}  // namespace herald::apns_sim
