// ApnsUpstream and Http2Connection against a minimal nghttp2 server over TLS
// on 127.0.0.1 (a self-signed certificate made here, trusted via the extra CA
// file), so ALPN, certificate checks, HTTP/2 framing and the outcome rules
// run for real.
#include "push/apns/apns_upstream.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace herald::push::apns {
namespace {

using namespace std::chrono_literals;

struct ServerRequest {
  std::map<std::string, std::string> headers;  // includes :method, :path
  std::string body;
};
struct ServerReply {
  int status = 200;
  std::string body;
  bool hang = false;         // never answer
  uint32_t rst_error = 0;    // answer with RST_STREAM(error) instead
  std::string apns_id = {};  // the apns-id to answer with; empty: echo the request's
};
using Handler = std::function<ServerReply(const ServerRequest&)>;

// One accepted connection: nghttp2 server session over a TLS stream.
class ServerSession : public std::enable_shared_from_this<ServerSession> {
 public:
  ServerSession(asio::ssl::stream<asio::ip::tcp::socket> stream, Handler* handler,
                std::vector<ServerRequest>* log, const bool* mute = nullptr)
      : stream_(std::move(stream)), handler_(handler), log_(log), mute_(mute) {}
  ~ServerSession() { nghttp2_session_del(session_); }

  void start() {
    auto self = shared_from_this();
    stream_.async_handshake(asio::ssl::stream_base::server, [self](const asio::error_code& ec) {
      if (ec) return;
      nghttp2_session_callbacks* cbs;
      nghttp2_session_callbacks_new(&cbs);
      nghttp2_session_callbacks_set_on_header_callback(cbs, &on_header);
      nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &on_data);
      nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &on_frame);
      nghttp2_session_server_new(&self->session_, cbs, self.get());
      nghttp2_session_callbacks_del(cbs);
      nghttp2_settings_entry s[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
      nghttp2_submit_settings(self->session_, NGHTTP2_FLAG_NONE, s, 1);
      self->write();
      self->read();
    });
  }

 private:
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* ud) {
    auto* self = static_cast<ServerSession*>(ud);
    self->requests_[frame->hd.stream_id]
        .headers[std::string(reinterpret_cast<const char*>(name), namelen)] =
        std::string(reinterpret_cast<const char*>(value), valuelen);
    return 0;
  }
  static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                     void* ud) {
    static_cast<ServerSession*>(ud)->requests_[id].body.append(reinterpret_cast<const char*>(data),
                                                               len);
    return 0;
  }
  static int on_frame(nghttp2_session* session, const nghttp2_frame* frame, void* ud) {
    auto* self = static_cast<ServerSession*>(ud);
    bool request_done = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
    if (!request_done) return 0;
    int32_t id = frame->hd.stream_id;
    const ServerRequest& req = self->requests_[id];
    self->log_->push_back(req);
    ServerReply reply = (*self->handler_)(req);
    if (reply.hang) return 0;
    if (reply.rst_error != 0) {
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, reply.rst_error);
      return 0;
    }
    auto& out = self->bodies_[id];
    out = {reply.body, std::to_string(reply.status)};
    std::string status_name = ":status", id_name = "apns-id";
    std::string apns_id = !reply.apns_id.empty()         ? reply.apns_id
                          : req.headers.count("apns-id") ? req.headers.at("apns-id")
                                                         : "";
    nghttp2_nv nva[] = {{(uint8_t*)status_name.data(), (uint8_t*)out.second.data(),
                         status_name.size(), out.second.size(), NGHTTP2_NV_FLAG_NONE},
                        {(uint8_t*)id_name.data(), (uint8_t*)apns_id.data(), id_name.size(),
                         apns_id.size(), NGHTTP2_NV_FLAG_NONE}};
    nghttp2_data_provider prd;
    prd.source.ptr = &out.first;
    prd.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                           nghttp2_data_source* src, void*) -> ssize_t {
      auto* body = static_cast<std::string*>(src->ptr);
      size_t n = std::min(length, body->size());
      std::memcpy(buf, body->data(), n);
      body->erase(0, n);
      if (body->empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    nghttp2_submit_response(session, id, nva, 2, reply.body.empty() ? nullptr : &prd);
    return 0;
  }

  void read() {
    auto self = shared_from_this();
    stream_.async_read_some(asio::buffer(buf_), [self](const asio::error_code& ec, size_t n) {
      if (ec) return;
      if (nghttp2_session_mem_recv(self->session_, self->buf_, n) < 0) return;
      self->write();
      self->read();
    });
  }
  void write() {
    if (writing_ || (mute_ != nullptr && *mute_)) return;  // mute: a peer that stopped answering
    out_.clear();
    const uint8_t* data;
    for (ssize_t n; (n = nghttp2_session_mem_send(session_, &data)) > 0;) {
      out_.append(reinterpret_cast<const char*>(data), n);
    }
    if (out_.empty()) return;
    writing_ = true;
    auto self = shared_from_this();
    asio::async_write(stream_, asio::buffer(out_), [self](const asio::error_code& ec, size_t) {
      self->writing_ = false;
      if (!ec) self->write();
    });
  }

  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  Handler* handler_;
  std::vector<ServerRequest>* log_;
  const bool* mute_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, ServerRequest> requests_;
  std::map<int32_t, std::pair<std::string, std::string>> bodies_;  // body, status text
  uint8_t buf_[16384];
  std::string out_;
  bool writing_ = false;
};

// Self-signed certificate for 127.0.0.1, written to a temp dir as the CA file.
class TestCert {
 public:
  TestCert() {
    key_ = EVP_EC_gen("P-256");
    cert_ = X509_new();
    X509_set_version(cert_, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert_), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert_), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert_), 3600);
    X509_set_pubkey(cert_, key_);
    X509_NAME* name = X509_get_subject_name(cert_);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("herald test"), -1, -1, 0);
    X509_set_issuer_name(cert_, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert_, cert_, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert_, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert_, key_, EVP_sha256());

    char tmpl[] = "/tmp/herald-apns-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ca_file_ = dir_ + "/ca.pem";
    FILE* f = fopen(ca_file_.c_str(), "w");
    PEM_write_X509(f, cert_);
    fclose(f);
  }
  ~TestCert() {
    X509_free(cert_);
    EVP_PKEY_free(key_);
    std::filesystem::remove_all(dir_);
  }
  void use_in(asio::ssl::context& ctx) const {
    SSL_CTX_use_certificate(ctx.native_handle(), cert_);
    SSL_CTX_use_PrivateKey(ctx.native_handle(), key_);
  }
  const std::string& ca_file() const { return ca_file_; }

 private:
  EVP_PKEY* key_;
  X509* cert_;
  std::string dir_;
  std::string ca_file_;
};

int select_h2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
              unsigned int inlen, void* offer_h2) {
  if (offer_h2 == nullptr) return SSL_TLSEXT_ERR_NOACK;
  for (unsigned int i = 0; i < inlen; i += in[i] + 1) {
    if (in[i] == 2 && std::memcmp(in + i + 1, "h2", 2) == 0) {
      *out = in + i + 1;
      *outlen = 2;
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

std::string p256_pem() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, len);
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

class ApnsUpstreamTest : public ::testing::Test {
 protected:
  ApnsUpstreamTest()
      : server_tls_(asio::ssl::context::tls_server),
        acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    cert_.use_in(server_tls_);
    SSL_CTX_set_alpn_select_cb(server_tls_.native_handle(), &select_h2, &offer_h2_);
    settings_.topic = "im.example.app";
    settings_.host = "127.0.0.1";
    settings_.port = acceptor_.local_endpoint().port();
    settings_.request_timeout = 2s;
    signer_ = std::make_shared<JwtSigner>(p256_pem(), "KEYID", "TEAMID");
    accept();
  }

  void accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      ++connections_;
      std::make_shared<ServerSession>(
          asio::ssl::stream<asio::ip::tcp::socket>(std::move(socket), server_tls_), &handler_,
          &requests_, &mute_)
          ->start();
      accept();
    });
  }

  UpstreamResult send(ApnsUpstream& upstream, const std::string& token) {
    std::optional<UpstreamResult> result;
    int calls = 0;
    upstream.send({token, true}, [&](UpstreamResult r) {
      ++calls;
      result = std::move(r);
    });
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         !result && std::chrono::steady_clock::now() < deadline;) {
      io_.run_for(20ms);
    }
    io_.run_for(50ms);  // a second callback would show up here
    EXPECT_EQ(calls, 1);
    return result.value_or(UpstreamResult{});
  }

  asio::io_context io_;
  TestCert cert_;
  asio::ssl::context server_tls_;
  asio::ip::tcp::acceptor acceptor_;
  int offer_h2_ = 1;
  Handler handler_ = [](const ServerRequest&) { return ServerReply{}; };
  std::vector<ServerRequest> requests_;
  int connections_ = 0;
  bool mute_ = false;
  ApnsModuleSettings settings_;
  std::shared_ptr<JwtSigner> signer_;
  const std::string token_ = std::string(64, 'a');
};

TEST_F(ApnsUpstreamTest, DeliversOverOneReusedConnection) {
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  UpstreamResult r = send(upstream, token_);
  EXPECT_EQ(r.status, UpstreamStatus::delivered) << r.reason;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.upstream_id, requests_.at(0).headers.at("apns-id"));
  r = send(upstream, token_);
  EXPECT_EQ(r.status, UpstreamStatus::delivered) << r.reason;
  EXPECT_EQ(connections_, 1);

  ASSERT_EQ(requests_.size(), 2u);
  const auto& h = requests_[0].headers;
  EXPECT_EQ(h.at(":method"), "POST");
  EXPECT_EQ(h.at(":path"), "/3/device/" + token_);
  EXPECT_EQ(h.at(":scheme"), "https");
  EXPECT_EQ(h.at("apns-topic"), "im.example.app");
  EXPECT_EQ(h.at("apns-push-type"), "alert");
  EXPECT_EQ(h.at("authorization").rfind("bearer ey", 0), 0u);
  EXPECT_NE(requests_[0].body.find("mutable-content"), std::string::npos);
}

TEST_F(ApnsUpstreamTest, ParallelSendsAllCompleteOnOneConnection) {
  settings_.connections = 1;
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  std::vector<UpstreamResult> results;
  for (int i = 0; i < 20; ++i) {
    upstream.send({token_}, [&](UpstreamResult r) { results.push_back(std::move(r)); });
  }
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       results.size() < 20 && std::chrono::steady_clock::now() < deadline;) {
    io_.run_for(20ms);
  }
  ASSERT_EQ(results.size(), 20u);
  for (const auto& r : results) EXPECT_EQ(r.status, UpstreamStatus::delivered) << r.reason;
  EXPECT_EQ(requests_.size(), 20u);
  EXPECT_EQ(connections_, 1);
}

TEST_F(ApnsUpstreamTest, UnregisteredTokenIsDeadWithTimestamp) {
  handler_ = [](const ServerRequest&) {
    return ServerReply{410, R"({"reason":"Unregistered","timestamp":1700000000123})"};
  };
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  UpstreamResult r = send(upstream, token_);
  EXPECT_EQ(r.status, UpstreamStatus::token_dead);
  EXPECT_EQ(r.reason, "Unregistered");
  EXPECT_EQ(r.dead_since_ms, 1700000000123);
}

TEST_F(ApnsUpstreamTest, ResultCarriesTheApnsIdAppleAnswered) {
  const std::string apple_id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  handler_ = [&](const ServerRequest&) { return ServerReply{200, "", false, 0, apple_id}; };
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  EXPECT_EQ(send(upstream, token_).upstream_id, apple_id);
  // No response at all: the id Herald sent, so the push can still be traced.
  handler_ = [](const ServerRequest&) { return ServerReply{0, "", false, NGHTTP2_INTERNAL_ERROR}; };
  UpstreamResult r = send(upstream, token_);
  EXPECT_EQ(r.status, UpstreamStatus::unknown);
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_EQ(r.upstream_id, requests_[1].headers.at("apns-id"));
}

TEST_F(ApnsUpstreamTest, ExpiredProviderTokenRefreshesAndResendsOnce) {
  handler_ = [n = 0](const ServerRequest&) mutable {
    return ++n == 1 ? ServerReply{403, R"({"reason":"ExpiredProviderToken"})"} : ServerReply{};
  };
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  EXPECT_EQ(send(upstream, token_).status, UpstreamStatus::delivered);
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_NE(requests_[0].headers.at("authorization"), requests_[1].headers.at("authorization"));
  EXPECT_EQ(requests_[0].headers.at("apns-id"), requests_[1].headers.at("apns-id"));

  handler_ = [](const ServerRequest&) {
    return ServerReply{403, R"({"reason":"ExpiredProviderToken"})"};
  };
  UpstreamResult r = send(upstream, token_);
  EXPECT_EQ(r.status, UpstreamStatus::rejected);
  EXPECT_EQ(r.reason, "ExpiredProviderToken");
  EXPECT_EQ(requests_.size(), 4u);
}

TEST_F(ApnsUpstreamTest, RefusedStreamIsResentThenUnavailable) {
  handler_ = [](const ServerRequest&) { return ServerReply{0, "", false, NGHTTP2_REFUSED_STREAM}; };
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  UpstreamResult r = send(upstream, token_);
  EXPECT_EQ(r.status, UpstreamStatus::unavailable);
  EXPECT_EQ(requests_.size(), size_t(PoolOptions{}.max_attempts));
  // All attempts carried one apns-id: one push, one id in the logs.
  EXPECT_EQ(requests_.front().headers.at("apns-id"), requests_.back().headers.at("apns-id"));
}

TEST_F(ApnsUpstreamTest, RefusedOnceIsDeliveredOnResend) {
  handler_ = [n = 0](const ServerRequest&) mutable {
    return ++n == 1 ? ServerReply{0, "", false, NGHTTP2_REFUSED_STREAM} : ServerReply{};
  };
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  EXPECT_EQ(send(upstream, token_).status, UpstreamStatus::delivered);
  EXPECT_EQ(requests_.size(), 2u);
}

TEST_F(ApnsUpstreamTest, IdleConnectionIsPingedAndKept) {
  settings_.ping_interval = 100ms;
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  EXPECT_EQ(send(upstream, token_).status, UpstreamStatus::delivered);
  io_.run_for(700ms);  // several ping intervals with no traffic
  EXPECT_EQ(upstream.pool().live_connections(), 1u);
  EXPECT_EQ(send(upstream, token_).status, UpstreamStatus::delivered);
  EXPECT_EQ(connections_, 1);
}

TEST_F(ApnsUpstreamTest, ConnectionWhosePingIsNotAnsweredIsReplaced) {
  settings_.ping_interval = 100ms;
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  EXPECT_EQ(send(upstream, token_).status, UpstreamStatus::delivered);
  mute_ = true;  // the peer is gone without a FIN, as behind a dead NAT
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       upstream.pool().live_connections() > 0 && std::chrono::steady_clock::now() < deadline;) {
    io_.run_for(20ms);
  }
  EXPECT_EQ(upstream.pool().live_connections(), 0u);
  mute_ = false;
  EXPECT_EQ(send(upstream, token_).status, UpstreamStatus::delivered);
  EXPECT_EQ(connections_, 2);
}

TEST_F(ApnsUpstreamTest, FullQueueAnswersAtOnce) {
  handler_ = [](const ServerRequest&) { return ServerReply{0, "", true}; };  // never answers
  settings_.connections = 1;
  settings_.max_queue = 3;
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  std::vector<UpstreamResult> results;
  // One stream in flight (limit 1 before the first response), then 3 queued.
  upstream.send({token_}, [&](UpstreamResult r) { results.push_back(r); });
  io_.run_for(300ms);
  for (int i = 0; i < 3; ++i) upstream.send({token_}, [&](UpstreamResult r) { results.push_back(r); });
  io_.run_for(100ms);
  EXPECT_TRUE(results.empty());
  for (int i = 0; i < 2; ++i) upstream.send({token_}, [&](UpstreamResult r) { results.push_back(r); });
  io_.run_for(100ms);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_EQ(r.status, UpstreamStatus::unavailable);
    EXPECT_EQ(r.reason, "queue full");
  }
  EXPECT_EQ(upstream.pool().stats().queue_full, 2u);
}

TEST_F(ApnsUpstreamTest, CertificateAuthSendsNoAuthorizationHeader) {
  ApnsUpstream upstream(io_, settings_, nullptr, cert_.ca_file());
  EXPECT_EQ(send(upstream, token_).status, UpstreamStatus::delivered);
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].headers.count("authorization"), 0u);
}

TEST_F(ApnsUpstreamTest, ResetAfterWritingIsUnknownAndNotResent) {
  handler_ = [](const ServerRequest&) { return ServerReply{0, "", false, NGHTTP2_INTERNAL_ERROR}; };
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  EXPECT_EQ(send(upstream, token_).status, UpstreamStatus::unknown);
  EXPECT_EQ(requests_.size(), 1u);
}

TEST_F(ApnsUpstreamTest, TimeoutIsUnknown) {
  handler_ = [](const ServerRequest&) { return ServerReply{0, "", true}; };
  settings_.request_timeout = 300ms;
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  UpstreamResult r = send(upstream, token_);
  EXPECT_EQ(r.status, UpstreamStatus::unknown);
  EXPECT_EQ(requests_.size(), 1u);
}

TEST_F(ApnsUpstreamTest, UntrustedCertificateIsAConnectFailure) {
  ApnsUpstream upstream(io_, settings_, signer_);  // no extra CA: self-signed is refused
  UpstreamResult r = send(upstream, token_);
  EXPECT_EQ(r.status, UpstreamStatus::unavailable);
  EXPECT_TRUE(requests_.empty());
  // The reason is the connection's own failure, and no apns-id: nothing was sent.
  EXPECT_EQ(r.reason.rfind("TLS handshake failed: ", 0), 0u) << r.reason;
  EXPECT_NE(r.reason.find("certificate"), std::string::npos) << r.reason;
  EXPECT_EQ(r.upstream_id, "");
  // The next send within the backoff fails fast without connecting, for the same reason.
  int before = connections_;
  EXPECT_EQ(send(upstream, token_).reason, r.reason);
  EXPECT_EQ(connections_, before);
}

TEST_F(ApnsUpstreamTest, ServerWithoutH2IsAConnectFailure) {
  SSL_CTX_set_alpn_select_cb(server_tls_.native_handle(), &select_h2, nullptr);
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  EXPECT_EQ(send(upstream, token_).status, UpstreamStatus::unavailable);
  EXPECT_TRUE(requests_.empty());
}

TEST_F(ApnsUpstreamTest, ImplausibleTokenNeverReachesTheServer) {
  ApnsUpstream upstream(io_, settings_, signer_, cert_.ca_file());
  EXPECT_FALSE(upstream.token_plausible("fcm:not-hex"));
  UpstreamResult r = send(upstream, "fcm:not-hex");
  EXPECT_EQ(r.status, UpstreamStatus::token_invalid);
  EXPECT_EQ(r.upstream_id, "");  // nothing was sent
  EXPECT_EQ(connections_, 0);
}

TEST_F(ApnsUpstreamTest, BadSettingsThrowAtConstruction) {
  settings_.topic.clear();
  EXPECT_THROW(ApnsUpstream(io_, settings_, signer_), std::invalid_argument);
  settings_.topic = "x";
  EXPECT_THROW(ApnsUpstream(io_, settings_, signer_, "/nonexistent/ca.pem"), std::runtime_error);
}

}  // namespace
}  // namespace herald::push::apns
