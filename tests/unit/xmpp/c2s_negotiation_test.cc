// Client streams up to authentication, over real sockets and real TLS:
// STARTTLS and direct TLS, stream header checks, every SCRAM variant with
// and without channel binding, PLAIN, and the failures RFC 6120 6.5 names.
#include <gtest/gtest.h>

#include "c2s_test_client.h"
#include "c2s_test_server.h"

namespace herald::xmpp {
namespace {

using namespace test;
using sasl::ChannelBindingType;
using sasl::Hash;

constexpr std::string_view kSaslNs = "urn:ietf:params:xml:ns:xmpp-sasl";

std::vector<std::string> mechanisms(const std::optional<xml::Element>& features) {
  std::vector<std::string> out;
  if (!features) return out;
  if (const auto* m = features->child("mechanisms", kSaslNs))
    for (const auto& c : m->children()) out.push_back(c.text());
  return out;
}

std::vector<std::string> binding_types(const std::optional<xml::Element>& features) {
  std::vector<std::string> out;
  if (!features) return out;
  if (const auto* b = features->child("sasl-channel-binding", "urn:xmpp:sasl-cb:0"))
    for (const auto& c : b->children()) out.push_back(std::string(c.attr_or("type")));
  return out;
}

std::string plain_message(const std::string& authzid, const std::string& user,
                          const std::string& password) {
  return base64_encode(authzid + '\0' + user + '\0' + password);
}

// A client that is through TLS and has its post-TLS features.
struct Secured {
  explicit Secured(TestServer& server, const TlsOptions& tls = {}, const std::string& host = "example.org")
      : client(server.starttls_port()) {
    ok = client.open(host) && client.starttls(tls) && (features = client.open(host)).has_value();
  }
  TestClient client;
  std::optional<xml::Element> features;
  bool ok = false;
};

std::optional<std::pair<ChannelBindingType, std::string>> binding_of(TestClient& c,
                                                                     ChannelBindingType t) {
  auto data = sasl::channel_binding_data(c.ssl(), t);
  if (!data) return std::nullopt;
  return std::make_pair(t, *data);
}

TEST(C2sNegotiation, StartTlsThenScramSha256ThenBind) {
  TestServer server;
  TestClient c(server.starttls_port());
  auto header_features = c.open();
  ASSERT_TRUE(header_features);
  // Before TLS: STARTTLS, required, and nothing else.
  ASSERT_EQ(header_features->children().size(), 1u);
  const auto* starttls = header_features->child("starttls", "urn:ietf:params:xml:ns:xmpp-tls");
  ASSERT_TRUE(starttls);
  EXPECT_TRUE(starttls->child("required", "urn:ietf:params:xml:ns:xmpp-tls"));

  ASSERT_TRUE(c.starttls());
  auto features = c.open();
  EXPECT_EQ(mechanisms(features),
            (std::vector<std::string>{"SCRAM-SHA-512-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS",
                                      "SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}));
  EXPECT_EQ(binding_types(features),
            (std::vector<std::string>{"tls-exporter", "tls-server-end-point"}));

  sasl::ScramClient scram(Hash::sha256, "alice", "correct horse");
  bool verified = false;
  auto outcome = c.scram("SCRAM-SHA-256", scram, &verified);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->name(), "success");
  EXPECT_TRUE(verified) << "the server proved it holds alice's keys";

  auto after = c.open();
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->child("bind", "urn:ietf:params:xml:ns:xmpp-bind"));
  EXPECT_TRUE(after->child("session", "urn:ietf:params:xml:ns:xmpp-session"));
  EXPECT_FALSE(after->child("mechanisms", kSaslNs));

  auto bound = c.bind("phone");
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->attr_or("type"), "result");
  EXPECT_EQ(bound->attr_or("id"), "b1");
  EXPECT_EQ(bound->child("bind", "urn:ietf:params:xml:ns:xmpp-bind")
                ->child("jid", "urn:ietf:params:xml:ns:xmpp-bind")
                ->text(),
            "alice@example.org/phone");
  EXPECT_EQ(server.host->logins(), std::vector<std::string>{"alice@example.org"});
  EXPECT_EQ(server.host->bound_sessions(), 1u);
}

TEST(C2sNegotiation, EveryScramVariantWithAndWithoutChannelBinding) {
  TestServer server;
  for (Hash hash : {Hash::sha1, Hash::sha256, Hash::sha512}) {
    for (int binding = 0; binding < 3; ++binding) {
      Secured s(server);
      ASSERT_TRUE(s.ok);
      std::optional<std::pair<ChannelBindingType, std::string>> cb;
      if (binding == 1) cb = binding_of(s.client, ChannelBindingType::tls_exporter);
      if (binding == 2) cb = binding_of(s.client, ChannelBindingType::tls_server_end_point);
      if (binding) {
        ASSERT_TRUE(cb);
      }
      std::string mechanism =
          "SCRAM-" + std::string(sasl::hash_name(hash)) + (binding ? "-PLUS" : "");
      sasl::ScramClient scram(hash, "alice", "correct horse", cb);
      bool verified = false;
      auto outcome = s.client.scram(mechanism, scram, &verified);
      ASSERT_TRUE(outcome) << mechanism << " binding " << binding;
      EXPECT_EQ(outcome->name(), "success") << mechanism << " binding " << binding;
      EXPECT_TRUE(verified) << mechanism;
    }
  }
  EXPECT_EQ(server.host->logins().size(), 9u);
  EXPECT_EQ(server.host->failed_logins(), 0u);
}

TEST(C2sNegotiation, ServerEndPointHashesAStrongerCertificateWithItsOwnHash) {
  // strong.example's certificate is signed with SHA-384: RFC 5929 binds to
  // its SHA-384 hash, found by SNI's choice of certificate.
  TestServer server;
  TlsOptions tls;
  tls.sni = "strong.example";
  Secured s(server, tls, "strong.example");
  ASSERT_TRUE(s.ok);
  auto cb = binding_of(s.client, ChannelBindingType::tls_server_end_point);
  ASSERT_TRUE(cb);
  EXPECT_EQ(cb->second.size(), 48u);
  sasl::ScramClient scram(Hash::sha256, "alice", "correct horse", cb);
  auto outcome = s.client.scram("SCRAM-SHA-256-PLUS", scram);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->name(), "success");
}

TEST(C2sNegotiation, Tls12OffersServerEndPointOnly) {
  TestServer server;
  TlsOptions tls;
  tls.max_version = TLS1_2_VERSION;
  Secured s(server, tls);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(binding_types(s.features), std::vector<std::string>{"tls-server-end-point"});
  // tls-exporter is not offered on TLS 1.2 (RFC 9266): a client naming it fails.
  sasl::ScramClient exporter(Hash::sha256, "alice", "correct horse",
                             std::make_pair(ChannelBindingType::tls_exporter, std::string(32, 'x')));
  EXPECT_EQ(condition_of(s.client.scram("SCRAM-SHA-256-PLUS", exporter)), "malformed-request");
  sasl::ScramClient endpoint(Hash::sha256, "alice", "correct horse",
                             binding_of(s.client, ChannelBindingType::tls_server_end_point));
  auto outcome = s.client.scram("SCRAM-SHA-256-PLUS", endpoint);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->name(), "success");
}

TEST(C2sNegotiation, WrongChannelBindingIsRefused) {
  TestServer server;
  for (auto type : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point}) {
    Secured s(server);
    ASSERT_TRUE(s.ok);
    // Binding data of another connection: what a man in the middle has.
    Secured other(server);
    ASSERT_TRUE(other.ok);
    auto theirs = binding_of(other.client, type);
    ASSERT_TRUE(theirs);
    if (type == ChannelBindingType::tls_server_end_point) theirs->second[0] ^= 1;
    sasl::ScramClient scram(Hash::sha256, "alice", "correct horse", theirs);
    EXPECT_EQ(condition_of(s.client.scram("SCRAM-SHA-256-PLUS", scram)), "not-authorized");
  }
  EXPECT_TRUE(server.host->logins().empty());
}

TEST(C2sNegotiation, ClientThatCouldBindButSawNoPlusIsRefused) {
  // gs2 flag "y" while we offered -PLUS: someone stripped it (RFC 5802 6).
  TestServer server;
  Secured s(server);
  ASSERT_TRUE(s.ok);
  sasl::ScramClient scram(Hash::sha256, "alice", "correct horse", std::nullopt, true);
  EXPECT_EQ(condition_of(s.client.scram("SCRAM-SHA-256", scram)), "not-authorized");
}

TEST(C2sNegotiation, PlainOnlyOverTlsAndOnlyWhenAllowed) {
  TestServer server;
  std::string plain = plain_message("", "alice", "correct horse");
  {
    TestClient c(server.starttls_port());
    ASSERT_TRUE(c.open());
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>");
    EXPECT_EQ(condition_of(c.next()), "encryption-required");
  }
  {
    Secured s(server);
    ASSERT_TRUE(s.ok);
    s.client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain +
                  "</auth>");
    auto outcome = s.client.next();
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->name(), "success");
  }
  auto config = test_config();
  config.allow_plain = false;
  TestServer strict(config);
  Secured s(strict);
  ASSERT_TRUE(s.ok);
  auto offered = mechanisms(s.features);
  EXPECT_EQ(std::find(offered.begin(), offered.end(), "PLAIN"), offered.end());
  s.client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain +
                "</auth>");
  EXPECT_EQ(condition_of(s.client.next()), "invalid-mechanism");
}

TEST(C2sNegotiation, WrongPasswordAndUnknownUserLookTheSame) {
  TestServer server;
  auto attempt = [&](const std::string& user, std::string* server_first) {
    Secured s(server);
    EXPECT_TRUE(s.ok);
    sasl::ScramClient scram(Hash::sha256, user, "wrong password");
    auto outcome = s.client.scram("SCRAM-SHA-256", scram);
    *server_first = s.client.last_server_first();
    return outcome ? xml::serialize(*outcome, "jabber:client") : std::string("(nothing)");
  };
  std::string first_known, first_unknown, again_unknown;
  std::string known = attempt("alice", &first_known);
  std::string unknown = attempt("mallory", &first_unknown);
  attempt("mallory", &again_unknown);
  EXPECT_EQ(known, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
  EXPECT_EQ(unknown, known);
  // The challenge has the same shape: a salt of the same length, the same
  // iteration count, and the same salt for the same name each time.
  auto salt_of = [](const std::string& first) {
    size_t s = first.find(",s="), i = first.find(",i=");
    return first.substr(s + 3, i - s - 3);
  };
  auto iterations_of = [](const std::string& first) { return first.substr(first.find(",i=")); };
  EXPECT_EQ(salt_of(first_unknown).size(), salt_of(first_known).size());
  EXPECT_EQ(iterations_of(first_unknown), iterations_of(first_known));
  EXPECT_EQ(salt_of(first_unknown), salt_of(again_unknown));
  // PLAIN: the same answer too.
  for (std::string user : {"alice", "mallory"}) {
    Secured s(server);
    ASSERT_TRUE(s.ok);
    s.client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                  plain_message("", user, "nope") +
                  "</auth>");
    auto outcome = s.client.next();
    ASSERT_TRUE(outcome);
    EXPECT_EQ(xml::serialize(*outcome, "jabber:client"), known) << user;
  }
  EXPECT_EQ(server.host->failed_logins(), 5u);
}

TEST(C2sNegotiation, TooManyFailedAttemptsEndTheStream) {
  auto config = test_config();
  config.max_auth_attempts = 3;
  TestServer server(config);
  Secured s(server);
  ASSERT_TRUE(s.ok);
  for (int i = 0; i < 3; ++i) {
    sasl::ScramClient scram(Hash::sha1, "alice", "guess " + std::to_string(i));
    EXPECT_EQ(condition_of(s.client.scram("SCRAM-SHA-1", scram)), "not-authorized") << i;
  }
  auto error = s.client.next();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->name(), "error");
  EXPECT_EQ(condition_of(error), "policy-violation");
  EXPECT_TRUE(s.client.wait_closed());
  EXPECT_EQ(server.host->failed_logins(), 3u);
}

TEST(C2sNegotiation, SaslProtocolErrors) {
  TestServer server;
  Secured s(server);
  ASSERT_TRUE(s.ok);
  auto send_auth = [&](const std::string& mechanism, const std::string& text) {
    s.client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + mechanism +
                  "'>" + text + "</auth>");
    return s.client.next();
  };
  EXPECT_EQ(condition_of(send_auth("DIGEST-MD5", "")), "invalid-mechanism");
  EXPECT_EQ(condition_of(send_auth("SCRAM-SHA-256", "not base64!")), "incorrect-encoding");
  // No initial response: an empty challenge asks for it; then <abort/>.
  auto challenge = send_auth("SCRAM-SHA-256", "");
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->name(), "challenge");
  EXPECT_TRUE(challenge->text().empty());
  s.client.send("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  EXPECT_EQ(condition_of(s.client.next()), "aborted");
  // Three failures (the default limit) end the stream.
  EXPECT_EQ(condition_of(s.client.next()), "policy-violation");
}

TEST(C2sNegotiation, AnAuthzidOtherThanTheAccountIsRefused) {
  TestServer server;
  Secured s(server);
  ASSERT_TRUE(s.ok);
  s.client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                plain_message("bob@example.org", "alice", "correct horse") +
                "</auth>");
  EXPECT_EQ(condition_of(s.client.next()), "invalid-authzid");
}

TEST(C2sNegotiation, StoreDownIsATemporaryFailure) {
  TestServer server;
  server.on_loop([&] { server.host->store_down = true; });
  Secured s(server);
  ASSERT_TRUE(s.ok);
  sasl::ScramClient scram(Hash::sha256, "alice", "correct horse");
  EXPECT_EQ(condition_of(s.client.scram("SCRAM-SHA-256", scram)), "temporary-auth-failure");
  EXPECT_EQ(server.host->failed_logins(), 0u) << "not the client's fault";
}

TEST(C2sNegotiation, StreamHeaderChecks) {
  TestServer server;
  auto header_error = [&](const std::string& header) {
    TestClient c(server.starttls_port());
    c.send(header);
    auto ours = c.next();
    EXPECT_TRUE(ours && ours->name() == "stream");
    return condition_of(c.next());
  };
  std::string start =
      "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' ";
  EXPECT_EQ(header_error(start + "xmlns='jabber:client' version='1.0' to='elsewhere.org'>"),
            "host-unknown");
  EXPECT_EQ(header_error(start + "xmlns='jabber:client' version='1.0'>"), "host-unknown");
  EXPECT_EQ(header_error(start + "xmlns='jabber:server' version='1.0' to='example.org'>"),
            "invalid-namespace");
  EXPECT_EQ(header_error(start + "xmlns='jabber:client' to='example.org'>"), "unsupported-version");
  EXPECT_EQ(header_error(start + "xmlns='jabber:client' version='0.9' to='example.org'>"),
            "unsupported-version");
  // The answer names the host and the language.
  TestClient c(server.starttls_port());
  c.send(start + "xmlns='jabber:client' version='1.0' to='EXAMPLE.org'>");
  auto ours = c.next();
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->attr_or("from"), "example.org");
  EXPECT_FALSE(ours->attr_or("id").empty());
  EXPECT_EQ(ours->text(), "jabber:client");
}

TEST(C2sNegotiation, TheHostMayNotChangeAcrossARestart) {
  TestServer server;
  TestClient c(server.starttls_port());
  ASSERT_TRUE(c.open("example.org"));
  ASSERT_TRUE(c.starttls());
  EXPECT_EQ(condition_of(c.open("strong.example")), "host-unknown");
}

TEST(C2sNegotiation, DirectTlsSelectsAlpnXmppClient) {
  TestServer server;
  TestClient c(server.direct_tls_port());
  TlsOptions tls;
  tls.alpn = "xmpp-client";
  ASSERT_TRUE(c.handshake(tls));
  const unsigned char* alpn = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(c.ssl(), &alpn, &len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), len), "xmpp-client");
  auto features = c.open();
  EXPECT_FALSE(features->child("starttls", "urn:ietf:params:xml:ns:xmpp-tls"));
  sasl::ScramClient scram(Hash::sha512, "alice", "correct horse",
                          binding_of(c, ChannelBindingType::tls_exporter));
  auto outcome = c.scram("SCRAM-SHA-512-PLUS", scram);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->name(), "success");
}

TEST(C2sNegotiation, BytesAfterProceedAreNotTrusted) {
  // An attacker who can inject plain text before the handshake appends an
  // <auth/> to the client's <starttls/>: it must be dropped, not answered.
  TestServer server;
  TestClient c(server.starttls_port());
  ASSERT_TRUE(c.open());
  c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><auth "
         "xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGNvcnJlY3QgaG9yc2U="
         "</auth>");
  auto proceed = c.next();
  ASSERT_TRUE(proceed);
  EXPECT_EQ(proceed->name(), "proceed");
  ASSERT_TRUE(c.handshake());
  auto features = c.open();
  EXPECT_TRUE(features && features->child("mechanisms", kSaslNs)) << "still unauthenticated";
  EXPECT_TRUE(server.host->logins().empty());
}

}  // namespace
}  // namespace herald::xmpp
