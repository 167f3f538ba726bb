// Channel binding data (xmpp/sasl/channel_binding.h) on real OpenSSL
// connections: a server and a client SSL object handshaking over a memory
// BIO pair on TLS 1.3 and 1.2, with certificates the openssl CLI makes in a
// temp dir (as the net tests do). Checks that both ends compute the same
// tls-exporter and tls-server-end-point values, RFC 5929's hash choice
// against `openssl dgst` of the certificate's DER, and SCRAM-PLUS and HT
// over those connections, including a man in the middle who terminates TLS.
#include "xmpp/sasl/channel_binding.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "xmpp/sasl/ht.h"
#include "xmpp/sasl/scram.h"

namespace herald::xmpp::sasl {
namespace {

namespace fs = std::filesystem;

class SaslChannelBinding : public ::testing::Test {
 protected:
  // name -> the openssl req key/signature options.
  static constexpr std::pair<const char*, const char*> kCerts[] = {
      {"ec256", "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"},
      {"ec384", "-newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -sha384"},
      {"rsa_sha1", "-newkey rsa:2048 -sha1"},
      {"rsa_pss_sha512", "-newkey rsa:2048 -sigopt rsa_padding_mode:pss -sha512"},
      {"ed25519", "-newkey ed25519"},
      {"other_ec256", "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"},
  };

  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/herald-sasl-cb-XXXXXX";
    dir_ = new fs::path(mkdtemp(tmpl));
    for (const auto& [name, options] : kCerts) {
      std::string base = (*dir_ / name).string();
      std::string cmd = std::string("openssl req -x509 ") + options + " -nodes -keyout " + base +
                        ".key -out " + base + ".crt -days 1 -subj /CN=home.test >/dev/null 2>&1";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
  }

  static std::string path(const std::string& name, const char* ext) {
    return (*dir_ / (name + ext)).string();
  }

  static X509* load_cert(const std::string& name) {
    FILE* f = std::fopen(path(name, ".crt").c_str(), "r");
    if (!f) return nullptr;
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    return cert;
  }

  // The certificate's DER hashed by the openssl CLI, independently of us.
  static std::string cli_digest(const std::string& name, const char* md) {
    std::string out = path(name, ".hash");
    std::string cmd = "openssl x509 -in " + path(name, ".crt") + " -outform DER | openssl dgst -" +
                      md + " -binary > " + out;
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream in(out, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  struct Tls {
    SSL_CTX* server_ctx = nullptr;
    SSL_CTX* client_ctx = nullptr;
    SSL* server = nullptr;
    SSL* client = nullptr;
    ~Tls() {
      SSL_free(server);
      SSL_free(client);
      SSL_CTX_free(server_ctx);
      SSL_CTX_free(client_ctx);
    }
  };

  // A handshaken connection: the server presents `cert`, both ends limited
  // to `version`.
  static std::unique_ptr<Tls> connect(const std::string& cert, int version) {
    auto t = std::make_unique<Tls>();
    t->server_ctx = SSL_CTX_new(TLS_server_method());
    t->client_ctx = SSL_CTX_new(TLS_client_method());
    for (SSL_CTX* ctx : {t->server_ctx, t->client_ctx}) {
      SSL_CTX_set_min_proto_version(ctx, version);
      SSL_CTX_set_max_proto_version(ctx, version);
    }
    EXPECT_EQ(SSL_CTX_use_certificate_file(t->server_ctx, path(cert, ".crt").c_str(),
                                           SSL_FILETYPE_PEM), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(t->server_ctx, path(cert, ".key").c_str(),
                                          SSL_FILETYPE_PEM), 1);
    t->server = SSL_new(t->server_ctx);
    t->client = SSL_new(t->client_ctx);
    BIO *server_bio = nullptr, *client_bio = nullptr;
    EXPECT_EQ(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0), 1);
    SSL_set_bio(t->server, server_bio, server_bio);
    SSL_set_bio(t->client, client_bio, client_bio);
    SSL_set_accept_state(t->server);
    SSL_set_connect_state(t->client);
    EXPECT_FALSE(channel_binding_data(t->server, ChannelBindingType::tls_exporter))
        << "nothing before the handshake";
    bool server_done = false, client_done = false;
    for (int round = 0; round < 20 && !(server_done && client_done); ++round) {
      for (auto [ssl, done] : {std::pair{t->client, &client_done}, {t->server, &server_done}}) {
        if (*done) continue;
        int rc = SSL_do_handshake(ssl);
        if (rc == 1) {
          *done = true;
          continue;
        }
        int err = SSL_get_error(ssl, rc);
        EXPECT_TRUE(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            << "handshake error " << err << ": " << ERR_error_string(ERR_get_error(), nullptr);
      }
    }
    EXPECT_TRUE(server_done && client_done);
    EXPECT_EQ(SSL_version(t->server), version);
    return t;
  }

  static fs::path* dir_;
};
fs::path* SaslChannelBinding::dir_ = nullptr;

TEST_F(SaslChannelBinding, Names) {
  for (auto t : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point,
                 ChannelBindingType::tls_unique})
    EXPECT_EQ(parse_channel_binding_name(channel_binding_name(t)), t);
  EXPECT_EQ(channel_binding_name(ChannelBindingType::tls_server_end_point), "tls-server-end-point");
  EXPECT_FALSE(parse_channel_binding_name("TLS-EXPORTER"));
}

TEST_F(SaslChannelBinding, EndPointHashFollowsRfc5929) {
  const std::pair<const char*, const char*> expected[] = {
      {"ec256", "sha256"},           // ecdsa-with-SHA256
      {"ec384", "sha384"},           // ecdsa-with-SHA384: its own hash
      {"rsa_sha1", "sha256"},        // SHA-1 is replaced by SHA-256
      {"rsa_pss_sha512", "sha512"},  // the hash in the PSS parameters
  };
  for (const auto& [name, md] : expected) {
    SCOPED_TRACE(name);
    X509* cert = load_cert(name);
    ASSERT_TRUE(cert);
    auto hash = certificate_end_point_hash(cert);
    X509_free(cert);
    ASSERT_TRUE(hash);
    EXPECT_EQ(*hash, cli_digest(name, md));
  }
  X509* ed = load_cert("ed25519");
  ASSERT_TRUE(ed);
  EXPECT_FALSE(certificate_end_point_hash(ed)) << "EdDSA names no hash: undefined";
  X509_free(ed);
  EXPECT_FALSE(certificate_end_point_hash(nullptr));
}

TEST_F(SaslChannelBinding, Tls13BothEndsAgreeOnExporterAndEndPoint) {
  for (const char* cert : {"ec256", "ec384", "rsa_pss_sha512"}) {
    SCOPED_TRACE(cert);
    auto t = connect(cert, TLS1_3_VERSION);
    EXPECT_EQ(available_channel_bindings(t->server),
              (std::vector<ChannelBindingType>{ChannelBindingType::tls_exporter,
                                               ChannelBindingType::tls_server_end_point}));
    auto server_exporter = channel_binding_data(t->server, ChannelBindingType::tls_exporter);
    auto client_exporter = channel_binding_data(t->client, ChannelBindingType::tls_exporter);
    ASSERT_TRUE(server_exporter && client_exporter);
    EXPECT_EQ(server_exporter->size(), 32u);
    EXPECT_EQ(*server_exporter, *client_exporter);
    auto server_endpoint = channel_binding_data(t->server, ChannelBindingType::tls_server_end_point);
    auto client_endpoint = channel_binding_data(t->client, ChannelBindingType::tls_server_end_point);
    ASSERT_TRUE(server_endpoint && client_endpoint);
    EXPECT_EQ(*server_endpoint, *client_endpoint);
    X509* c = load_cert(cert);
    EXPECT_EQ(*server_endpoint, certificate_end_point_hash(c).value());
    X509_free(c);
    EXPECT_FALSE(channel_binding_data(t->server, ChannelBindingType::tls_unique));

    auto bindings = collect_channel_bindings(t->server);
    EXPECT_EQ(bindings.offered.size(), 2u);
    EXPECT_TRUE(bindings.plus_advertised);
  }
}

TEST_F(SaslChannelBinding, Tls12OffersEndPointOnly) {
  auto t = connect("ec256", TLS1_2_VERSION);
  EXPECT_EQ(available_channel_bindings(t->server),
            (std::vector<ChannelBindingType>{ChannelBindingType::tls_server_end_point}));
  EXPECT_FALSE(channel_binding_data(t->server, ChannelBindingType::tls_exporter));
  EXPECT_FALSE(channel_binding_data(t->client, ChannelBindingType::tls_exporter));
  EXPECT_FALSE(channel_binding_data(t->server, ChannelBindingType::tls_unique));
  auto server_endpoint = channel_binding_data(t->server, ChannelBindingType::tls_server_end_point);
  ASSERT_TRUE(server_endpoint);
  EXPECT_EQ(*server_endpoint,
            channel_binding_data(t->client, ChannelBindingType::tls_server_end_point).value());
  EXPECT_EQ(*server_endpoint, cli_digest("ec256", "sha256"));
}

TEST_F(SaslChannelBinding, Ed25519CertificateOffersExporterOnly) {
  auto t = connect("ed25519", TLS1_3_VERSION);
  EXPECT_EQ(available_channel_bindings(t->server),
            (std::vector<ChannelBindingType>{ChannelBindingType::tls_exporter}));
}

// One SCRAM-SHA-256-PLUS exchange: the client binds to `client_ssl`, the
// server to `server_ssl` (the same connection's two ends, or two connections).
std::optional<SaslFailure> scram_plus(SSL* client_ssl, SSL* server_ssl, ChannelBindingType type) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  auto client_data = channel_binding_data(client_ssl, type);
  if (!client_data) return SaslFailure{"test", "no client binding data"};
  ScramClient client(Hash::sha256, "juliet", "pw", std::make_pair(type, *client_data));
  ScramServer server(Hash::sha256, true, collect_channel_bindings(server_ssl));
  ScramServer::ClientFirst first;
  if (auto f = server.client_first(client.client_first(), &first)) return f;
  auto final_message = client.client_final(server.server_first(creds));
  if (!final_message) return SaslFailure{"test", client.error()};
  std::string server_final;
  if (auto f = server.client_final(*final_message, &server_final)) return f;
  if (!client.verify_server_final(server_final)) return SaslFailure{"test", "server not verified"};
  return std::nullopt;
}

TEST_F(SaslChannelBinding, ScramPlusOverRealConnections) {
  auto t13 = connect("ec256", TLS1_3_VERSION);
  auto t12 = connect("ec256", TLS1_2_VERSION);
  for (auto type : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point}) {
    auto f = scram_plus(t13->client, t13->server, type);
    EXPECT_FALSE(f) << f->text;
  }
  auto f = scram_plus(t12->client, t12->server, ChannelBindingType::tls_server_end_point);
  EXPECT_FALSE(f) << f->text;
}

TEST_F(SaslChannelBinding, ManInTheMiddleIsRefused) {
  // The attacker terminates the client's TLS and opens its own to the
  // server. With another certificate both binding types differ; with the
  // server's own certificate (a stolen key) tls-server-end-point matches,
  // and only tls-exporter still tells.
  auto server_leg = connect("ec256", TLS1_3_VERSION);
  auto other_cert_leg = connect("other_ec256", TLS1_3_VERSION);
  auto stolen_key_leg = connect("ec256", TLS1_3_VERSION);
  for (auto type : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point}) {
    auto f = scram_plus(other_cert_leg->client, server_leg->server, type);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->condition, "not-authorized");
    EXPECT_EQ(f->text, "channel-bindings-dont-match");
  }
  auto f = scram_plus(stolen_key_leg->client, server_leg->server, ChannelBindingType::tls_exporter);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->text, "channel-bindings-dont-match");
  EXPECT_FALSE(scram_plus(stolen_key_leg->client, server_leg->server,
                          ChannelBindingType::tls_server_end_point))
      << "the known limit of tls-server-end-point";
}

TEST_F(SaslChannelBinding, HtExprAndEndpOverRealConnections) {
  auto t = connect("ec384", TLS1_3_VERSION);
  auto mitm = connect("ec384", TLS1_3_VERSION);
  for (const char* name : {"HT-SHA-256-EXPR", "HT-SHA-256-ENDP"}) {
    SCOPED_TRACE(name);
    HtMechanism mech = parse_ht_mechanism(name).value();
    for (auto* client_leg : {t.get(), mitm.get()}) {
      HtClient client(mech, "juliet", "fast-token",
                      channel_binding_data(client_leg->client, *mech.binding).value());
      HtServer server(mech, collect_channel_bindings(t->server));
      std::string authcid;
      ASSERT_FALSE(server.initiator(client.initiator(), &authcid));
      size_t matched;
      std::string responder;
      auto f = server.verify({"fast-token"}, &matched, &responder);
      const bool expect_ok = client_leg == t.get() || mech.binding == ChannelBindingType::tls_server_end_point;
      EXPECT_EQ(!f, expect_ok);
      if (!f) {
        EXPECT_TRUE(client.verify_responder(responder));
      }
    }
  }
}

}  // namespace
}  // namespace herald::xmpp::sasl
