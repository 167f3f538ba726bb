// The push path from an XEP-0357 publish to apns-sim and back, in one
// io_context and over real TLS HTTP/2: push::AppServer + apns::ApnsUpstream
// against apns_sim::Server, no mocks. Each test checks what the publishing
// server would see (the IQ reply), what Herald remembers (tombstones) and
// what the simulator counted (deliveries, concurrent streams).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "apns-sim/jwt_verifier.h"
#include "apns-sim/server.h"
#include "apns-sim/simulator.h"
#include "fixture_xml.h"
#include "push/apns/apns_upstream.h"
#include "push/app_server.h"
#include "push/publish.h"
#include "push/tombstones.h"
#include "../store/test_support.h"
#include "store/push_schema.h"

namespace herald::push {
namespace {

using namespace std::chrono_literals;

const std::string kTopic = "im.example.app";

std::string pem_of(EVP_PKEY* key, bool is_private) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (is_private) {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio, key);
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, size_t(length));
  BIO_free(bio);
  return pem;
}

// A temp dir with a self-signed TLS certificate for 127.0.0.1 (also the CA
// the client trusts) and a P-256 provider-token key pair.
class Pki {
 public:
  Pki() {
    char tmpl[] = "/tmp/herald-apns-sim-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("apns-sim test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    X509_sign(cert, key, EVP_sha256());
    cert_file = dir_ + "/cert.pem";
    key_file = dir_ + "/key.pem";
    FILE* f = fopen(cert_file.c_str(), "w");
    PEM_write_X509(f, cert);
    fclose(f);
    std::ofstream(key_file) << pem_of(key, true);
    issue_client_certificate(cert, key);
    X509_free(cert);
    EVP_PKEY_free(key);

    EVP_PKEY* jwt_key = EVP_EC_gen("P-256");
    jwt_private = pem_of(jwt_key, true);
    jwt_public = pem_of(jwt_key, false);
    EVP_PKEY_free(jwt_key);
  }
  ~Pki() { std::filesystem::remove_all(dir_); }

  // An APNs-style client certificate (subject UID = the bundle id) issued by
  // the test CA, as PEM and as password-protected PKCS#12.
  void issue_client_certificate(X509* ca, EVP_PKEY* ca_key) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 2);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "UID", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(kTopic.c_str()), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Apple Push Services: test"),
                               -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(ca));
    X509_sign(cert, ca_key, EVP_sha256());
    client_cert_file = dir_ + "/client.pem";
    client_key_file = dir_ + "/client.key";
    client_p12_file = dir_ + "/client.p12";
    FILE* f = fopen(client_cert_file.c_str(), "w");
    PEM_write_X509(f, cert);
    fclose(f);
    std::ofstream(client_key_file) << pem_of(key, true);
    PKCS12* p12 = PKCS12_create("p12 secret", "client", key, cert, nullptr, 0, 0, 0, 0, 0);
    f = fopen(client_p12_file.c_str(), "wb");
    i2d_PKCS12_fp(f, p12);
    fclose(f);
    PKCS12_free(p12);
    X509_free(cert);
    EVP_PKEY_free(key);
  }

  std::string cert_file, key_file, jwt_private, jwt_public;
  std::string client_cert_file, client_key_file, client_p12_file;

 private:
  std::string dir_;
};

class CapturingSender : public xmpp::StanzaSender {
 public:
  void send(xml::Element stanza) override { sent.push_back(std::move(stanza)); }
  std::vector<xml::Element> sent;
};

std::string token_of(char c, int n = 0) {
  std::string token(64, c);
  std::string suffix = std::to_string(n);
  token.replace(64 - suffix.size(), suffix.size(), suffix);
  return token;
}

class ApnsSimDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    store::DatabaseOptions o;
    o.target = scratch_.file("herald.sqlite");
    db_ = store::Database::open(o, store::push_migrations());
    store_ = std::make_unique<store::TombstoneStore>(*db_);
    tombstones_ = std::make_unique<Tombstones>(io_.get_executor(), *store_);
    verifier_ = apns_sim::JwtVerifier::create({pki_.jwt_public, "KEYID12345", "TEAM123456"},
                                              &error);
    ASSERT_TRUE(verifier_) << error;
    sim_options_.cert_file = pki_.cert_file;
    sim_options_.key_file = pki_.key_file;
    sim_options_.connection.one_stream_until_authenticated = true;
    settings_.topic = kTopic;
    settings_.host = "127.0.0.1";
    settings_.request_timeout = 5s;
  }

  void TearDown() override {
    server_.reset();
    upstream_.reset();
    if (sim_) sim_->stop();
    io_.restart();
    io_.run_for(50ms);
  }
  // Not in TearDown(): a test calls that to start over on the same store.
  ~ApnsSimDeliveryTest() override {
    tombstones_.reset();
    store_.reset();
    db_.reset();
  }

  // Starts simulator, upstream and app server. `recent_success_period` 0:
  // BadDeviceToken never counts as "recently succeeded" unless a push was
  // delivered in the same test.
  void start(apns_sim::TokenBehaviours behaviours = {}) {
    apns_sim::ValidatorConfig validator;
    validator.topics = {kTopic};
    simulator_ = std::make_unique<apns_sim::Simulator>(validator, nullptr, nullptr);
    simulator_->set_token_behaviours(std::move(behaviours));
    sim_ = std::make_unique<apns_sim::Server>(io_, sim_options_, verifier_.get(), *simulator_,
                                              nullptr);
    sim_->set_observer([this](const apns_sim::Request&, const apns_sim::Outcome& outcome) {
      if (outcome.verdict.ok() && outcome.transport_fault == apns_sim::FaultKind::kNone) {
        ++accepted_[outcome.token];
      }
    });
    std::string error;
    ASSERT_TRUE(sim_->start(&error)) << error;
    settings_.port = sim_->port();
    auto signer = std::make_shared<apns::JwtSigner>(pki_.jwt_private, "KEYID12345", "TEAM123456");
    if (!identity_.empty()) signer = nullptr;  // certificate auth
    upstream_ = std::make_shared<apns::ApnsUpstream>(io_, settings_, signer, pki_.cert_file,
                                                     identity_);
    std::vector<PushModuleConfig> modules;
    modules.push_back({"example-ios", UpstreamKind::apns, true, upstream_});
    server_ = std::make_unique<AppServer>(io_, "push.test", sender_, std::move(modules),
                                          *tombstones_, app_options_);
  }

  void publish(const std::string& token, int id) {
    xml::Element iq = testing::load_stanza("publish/prosody-default-body.xml");
    iq.child("pubsub", kPubsubNs)->child("publish", kPubsubNs)->set_attr("node", token);
    iq.set_attr("id", "p" + std::to_string(id));
    server_->handle(std::move(iq));
  }

  // Runs the loop until `count` replies were sent (or 10 s passed).
  bool wait_for_replies(size_t count) {
    auto end = std::chrono::steady_clock::now() + 10s;
    while (sender_.sent.size() < count && std::chrono::steady_clock::now() < end) {
      io_.restart();
      io_.run_for(10ms);
    }
    io_.restart();
    io_.run_for(30ms);  // a duplicate reply would show up here
    return sender_.sent.size() == count;
  }

  // "result", or "error:<type>:<condition>".
  static std::string outcome(const xml::Element& reply) {
    if (reply.attr_or("type") == "result") return "result";
    const xml::Element* error = reply.child("error", "jabber:server");
    if (error == nullptr || error->children().empty()) return "error:?";
    return "error:" + std::string(error->attr_or("type")) + ":" + error->children()[0].name();
  }

  // Reply outcome by IQ id.
  std::map<std::string, std::string> replies() const {
    std::map<std::string, std::string> out;
    for (const auto& r : sender_.sent) out[std::string(r.attr_or("id"))] = outcome(r);
    return out;
  }

  bool buried(const std::string& token) {
    return tombstones_->is_dead(token, std::chrono::system_clock::now());
  }

  asio::io_context io_;
  Pki pki_;
  CapturingSender sender_;
  store::testing::ScratchDir scratch_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::TombstoneStore> store_;
  std::unique_ptr<Tombstones> tombstones_;
  std::unique_ptr<apns_sim::JwtVerifier> verifier_;
  apns_sim::ServerOptions sim_options_;
  std::unique_ptr<apns_sim::Simulator> simulator_;
  std::unique_ptr<apns_sim::Server> sim_;
  apns::ApnsModuleSettings settings_;
  apns::TlsClientIdentity identity_;
  AppServerOptions app_options_;
  std::shared_ptr<apns::ApnsUpstream> upstream_;
  std::unique_ptr<AppServer> server_;
  std::map<std::string, int> accepted_;  // 200 answers per token, at the simulator
};

apns_sim::TokenBehaviour behaviour(int status, std::string reason) {
  apns_sim::TokenBehaviour b;
  b.verdict = apns_sim::Verdict::error(status, std::move(reason));
  return b;
}

TEST_F(ApnsSimDeliveryTest, EveryReasonCodeGetsItsReplyAndTombstone) {
  struct Case {
    int status;
    std::string reason;
    std::string reply;
    bool buried;
  };
  // With a delivered push first, the module has a recent success, so
  // BadDeviceToken means the token (not the configuration) is wrong.
  const std::vector<Case> cases = {
      {410, "Unregistered", "error:cancel:item-not-found", true},
      {410, "ExpiredToken", "error:cancel:item-not-found", true},
      {400, "BadDeviceToken", "error:cancel:item-not-found", true},
      {400, "DeviceTokenNotForTopic", "error:cancel:item-not-found", true},
      {400, "BadCollapseId", "error:wait:internal-server-error", false},
      {400, "BadExpirationDate", "error:wait:internal-server-error", false},
      {400, "BadMessageId", "error:wait:internal-server-error", false},
      {400, "BadPriority", "error:wait:internal-server-error", false},
      {400, "BadTopic", "error:wait:internal-server-error", false},
      {400, "DuplicateHeaders", "error:wait:internal-server-error", false},
      {400, "IdleTimeout", "error:wait:internal-server-error", false},
      {400, "InvalidPushType", "error:wait:internal-server-error", false},
      {400, "MissingDeviceToken", "error:wait:internal-server-error", false},
      {400, "MissingTopic", "error:wait:internal-server-error", false},
      {400, "PayloadEmpty", "error:wait:internal-server-error", false},
      {400, "TopicDisallowed", "error:wait:internal-server-error", false},
      {403, "BadCertificate", "error:wait:internal-server-error", false},
      {403, "BadCertificateEnvironment", "error:wait:internal-server-error", false},
      {403, "Forbidden", "error:wait:internal-server-error", false},
      {403, "InvalidProviderToken", "error:wait:internal-server-error", false},
      {403, "MissingProviderToken", "error:wait:internal-server-error", false},
      {404, "BadPath", "error:wait:internal-server-error", false},
      {405, "MethodNotAllowed", "error:wait:internal-server-error", false},
      {413, "PayloadTooLarge", "error:wait:internal-server-error", false},
      {429, "TooManyProviderTokenUpdates", "error:wait:resource-constraint", false},
      {429, "TooManyRequests", "error:wait:resource-constraint", false},
      {500, "InternalServerError", "error:wait:internal-server-error", false},
      {503, "ServiceUnavailable", "error:wait:internal-server-error", false},
      {503, "Shutdown", "error:wait:internal-server-error", false},
  };
  apns_sim::TokenBehaviours behaviours;
  for (size_t i = 0; i < cases.size(); ++i) {
    behaviours[token_of('c', int(i))] = behaviour(cases[i].status, cases[i].reason);
  }
  start(std::move(behaviours));
  publish(token_of('a'), 1000);
  ASSERT_TRUE(wait_for_replies(1));
  ASSERT_EQ(outcome(sender_.sent[0]), "result");
  for (size_t i = 0; i < cases.size(); ++i) publish(token_of('c', int(i)), int(i));
  ASSERT_TRUE(wait_for_replies(cases.size() + 1));
  auto got = replies();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(std::to_string(cases[i].status) + " " + cases[i].reason);
    EXPECT_EQ(got["p" + std::to_string(i)], cases[i].reply);
    EXPECT_EQ(buried(token_of('c', int(i))), cases[i].buried);
  }
  EXPECT_EQ(sim_->stats().stream_limit_violations, 0u);
}

TEST_F(ApnsSimDeliveryTest, TombstonedTokenIsRefusedWithoutCallingApple) {
  apns_sim::TokenBehaviours behaviours;
  behaviours[token_of('d')].verdict = apns_sim::Verdict{410, "Unregistered", 1700000000000};
  start(std::move(behaviours));
  publish(token_of('d'), 1);
  ASSERT_TRUE(wait_for_replies(1));
  EXPECT_EQ(outcome(sender_.sent[0]), "error:cancel:item-not-found");
  uint64_t requests = sim_->stats().requests;
  publish(token_of('d'), 2);
  ASSERT_TRUE(wait_for_replies(2));
  EXPECT_EQ(outcome(sender_.sent[1]), "error:cancel:item-not-found");
  EXPECT_EQ(sim_->stats().requests, requests);
}

TEST_F(ApnsSimDeliveryTest, WrongEnvironmentDoesNotBuryTokens) {
  // A module pointed at the wrong environment: every token is a
  // BadDeviceToken and nothing was ever delivered.
  apns_sim::TokenBehaviours behaviours;
  for (int i = 0; i < 20; ++i) behaviours[token_of('e', i)] = behaviour(400, "BadDeviceToken");
  start(std::move(behaviours));
  for (int i = 0; i < 20; ++i) publish(token_of('e', i), i);
  ASSERT_TRUE(wait_for_replies(20));
  for (const auto& [id, reply] : replies()) {
    EXPECT_EQ(reply, "error:wait:internal-server-error") << id;
  }
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(buried(token_of('e', i))) << i;
  EXPECT_EQ(tombstones_->size(), 0u);
}

TEST_F(ApnsSimDeliveryTest, TooManyRequestsIsWaitAndKeepsToken) {
  apns_sim::TokenBehaviours behaviours;
  behaviours[token_of('f')] = behaviour(429, "TooManyRequests");
  start(std::move(behaviours));
  publish(token_of('f'), 1);
  ASSERT_TRUE(wait_for_replies(1));
  EXPECT_EQ(outcome(sender_.sent[0]), "error:wait:resource-constraint");
  EXPECT_FALSE(buried(token_of('f')));
}

TEST_F(ApnsSimDeliveryTest, ConcurrentStreamsStayWithinWhatTheServerAnnounced) {
  sim_options_.connection.max_concurrent_streams = 3;
  apns_sim::TokenBehaviours behaviours;
  for (int i = 0; i < 30; ++i) {
    behaviours[token_of('b', i)].verdict = apns_sim::Verdict::success();
    behaviours[token_of('b', i)].delay_ms = 20;  // keeps streams open together
  }
  start(std::move(behaviours));
  for (int i = 0; i < 30; ++i) publish(token_of('b', i), i);
  ASSERT_TRUE(wait_for_replies(30));
  for (const auto& [id, reply] : replies()) EXPECT_EQ(reply, "result") << id;
  EXPECT_EQ(sim_->stats().stream_limit_violations, 0u);
  // The limit was used, not just respected by sending one at a time.
  EXPECT_EQ(sim_->stats().max_open_streams, 3u);
}

TEST_F(ApnsSimDeliveryTest, GoawayMidBurstDeliversEachPushAtMostOnce) {
  sim_options_.connection.goaway_after_requests = 7;
  sim_options_.connection.max_concurrent_streams = 4;
  apns_sim::TokenBehaviours behaviours;
  const int kPushes = 40;
  for (int i = 0; i < kPushes; ++i) {
    behaviours[token_of('9', i)].verdict = apns_sim::Verdict::success();
    behaviours[token_of('9', i)].delay_ms = 5;
  }
  start(std::move(behaviours));
  for (int i = 0; i < kPushes; ++i) publish(token_of('9', i), i);
  ASSERT_TRUE(wait_for_replies(kPushes));
  auto got = replies();
  for (int i = 0; i < kPushes; ++i) {
    EXPECT_EQ(got["p" + std::to_string(i)], "result") << i;
    EXPECT_EQ(accepted_[token_of('9', i)], 1) << "push " << i << " not delivered exactly once";
  }
  // A connection serves its 7 requests plus those already in flight when the
  // GOAWAY went out (at most 3 more with 4 streams), so 40 pushes need at
  // least 4 connections: the burst drained onto new ones.
  EXPECT_GE(sim_->h2().connections_accepted(), 4u);
  EXPECT_EQ(sim_->stats().accepted, uint64_t(kPushes));
  EXPECT_EQ(sim_->stats().stream_limit_violations, 0u);
}

TEST_F(ApnsSimDeliveryTest, PushesPerSecondThroughOnePooledConnection) {
  settings_.connections = 1;
  settings_.max_queue = 5000;  // the whole burst waits in the pool's queue
  settings_.request_timeout = 30s;
  sim_options_.connection.max_concurrent_streams = 100;
  start();
  const int kPushes = 1000;
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < kPushes; ++i) publish(token_of('5', i), i);
  ASSERT_TRUE(wait_for_replies(kPushes));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  for (const auto& [id, reply] : replies()) ASSERT_EQ(reply, "result") << id;
  EXPECT_EQ(sim_->h2().connections_accepted(), 1u);
  EXPECT_EQ(sim_->stats().stream_limit_violations, 0u);
  // A figure for the report, not an assertion (the machine is shared).
  std::printf("[ figure ] %d pushes in %.2f s through one connection: %.0f pushes/s, "
              "max open streams %zu\n",
              kPushes, seconds, kPushes / seconds, sim_->stats().max_open_streams);
}

TEST_F(ApnsSimDeliveryTest, FullQueueIsAnsweredWaitAtOnce) {
  settings_.connections = 1;
  settings_.max_queue = 5;
  sim_options_.connection.max_concurrent_streams = 1;
  apns_sim::TokenBehaviours behaviours;
  for (int i = 0; i < 20; ++i) behaviours[token_of('4', i)].delay_ms = 50;
  start(std::move(behaviours));
  for (int i = 0; i < 20; ++i) publish(token_of('4', i), i);
  ASSERT_TRUE(wait_for_replies(20));
  int delivered = 0, waited = 0;
  for (const auto& [id, reply] : replies()) {
    if (reply == "result") ++delivered;
    if (reply.starts_with("error:wait:")) ++waited;
  }
  // At most one stream plus five queued: everything beyond was refused at once.
  EXPECT_LE(delivered, 6);
  EXPECT_EQ(delivered + waited, 20);
  EXPECT_EQ(sim_->stats().requests, uint64_t(delivered));
  EXPECT_EQ(upstream_->pool().stats().queue_full, uint64_t(waited));
}

TEST_F(ApnsSimDeliveryTest, ClientCertificateAuthPemAndPkcs12) {
  sim_options_.client_ca_file = pki_.cert_file;
  identity_.certificate_file = pki_.client_cert_file;
  identity_.key_file = pki_.client_key_file;
  start();
  publish(token_of('3', 1), 1);
  ASSERT_TRUE(wait_for_replies(1));
  EXPECT_EQ(outcome(sender_.sent[0]), "result");
  EXPECT_EQ(accepted_[token_of('3', 1)], 1);

  // The same through a PKCS#12 file with its password, against a fresh simulator.
  TearDown();
  sender_.sent.clear();
  identity_ = {};
  identity_.pkcs12_file = pki_.client_p12_file;
  identity_.pkcs12_password = "p12 secret";
  start();
  publish(token_of('3', 2), 2);
  ASSERT_TRUE(wait_for_replies(1));
  EXPECT_EQ(outcome(sender_.sent[0]), "result");

  identity_.pkcs12_password = "wrong";
  EXPECT_THROW(apns::ApnsUpstream(io_, settings_, nullptr, pki_.cert_file, identity_),
               std::runtime_error);
}

TEST_F(ApnsSimDeliveryTest, CertificateForAnotherTopicIsRefused) {
  sim_options_.client_ca_file = pki_.cert_file;
  identity_.certificate_file = pki_.client_cert_file;
  identity_.key_file = pki_.client_key_file;
  settings_.topic = "im.example.other";
  start();
  publish(token_of('3', 3), 1);
  ASSERT_TRUE(wait_for_replies(1));
  EXPECT_EQ(outcome(sender_.sent[0]), "error:wait:internal-server-error");
  EXPECT_EQ(sim_->stats().accepted, 0u);
}

TEST_F(ApnsSimDeliveryTest, WithoutCertificateOrTokenTheSimulatorRefuses) {
  sim_options_.client_ca_file = pki_.cert_file;
  identity_.certificate_file = pki_.client_cert_file;  // makes start() drop the signer
  identity_.key_file = pki_.client_key_file;
  start();
  // Replace the upstream by one with neither a certificate nor a token.
  upstream_ = std::make_shared<apns::ApnsUpstream>(io_, settings_, nullptr, pki_.cert_file);
  std::optional<UpstreamResult> r;
  upstream_->send({token_of('3', 4), false}, [&](UpstreamResult x) { r = x; });
  for (int i = 0; i < 500 && !r; ++i) {
    io_.restart();
    io_.run_for(10ms);
  }
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, UpstreamStatus::rejected);
  EXPECT_EQ(r->reason, "MissingProviderToken");
}

TEST_F(ApnsSimDeliveryTest, ResetAfterWriteIsWaitAndNotResent) {
  apns_sim::TokenBehaviours behaviours;
  behaviours[token_of('7')].fault = apns_sim::FaultKind::kResetStream;
  start(std::move(behaviours));
  publish(token_of('7'), 1);
  ASSERT_TRUE(wait_for_replies(1));
  EXPECT_EQ(outcome(sender_.sent[0]), "error:wait:internal-server-error");
  EXPECT_EQ(sim_->stats().requests, 1u);
  EXPECT_FALSE(buried(token_of('7')));
}

}  // namespace
}  // namespace herald::push
