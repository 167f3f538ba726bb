// SCRAM server and client (xmpp/sasl/scram.h): the RFC 5802 and RFC 7677
// test vectors (and a SHA-512 one computed with Python's hashlib from the
// RFC's definitions), round trips for every hash with and without -PLUS,
// channel-binding and downgrade refusals, XEP-0474, unknown users and
// malformed messages with the condition each gets.
#include "xmpp/sasl/scram.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "xmpp/sasl/primitives.h"
#include "xmpp/sasl/scram_messages.h"

namespace herald::xmpp::sasl {
namespace {

std::string b64d(std::string_view s) { return base64_decode(s).value(); }

ScramCredentials pencil(Hash h, std::string_view salt_b64) {
  return derive(h, "pencil", 4096, b64d(salt_b64)).value();
}

struct Vector {
  Hash hash;
  const char* salt;
  const char* client_nonce;
  const char* server_nonce;
  const char* proof;
  const char* verifier;
};

// RFC 5802 section 5, RFC 7677 section 3, and SHA-512 (Python hashlib).
const Vector kVectors[] = {
    {Hash::sha1, "QSXCR+Q6sek8bf92", "fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j",
     "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "rmF9pqV8S7suAoZWja4dJRkFsKQ="},
    {Hash::sha256, "W22ZaJ0SNY7soEsUEjb6gQ==", "rOprNGfwEbeRWgbNEkqO",
     "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
     "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
    {Hash::sha512, "W22ZaJ0SNY7soEsUEjb6gQ==", "rOprNGfwEbeRWgbNEkqO",
     "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
     "gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==",
     "ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw=="},
};

TEST(SaslScram, KnownAnswerVectorsServerAndClient) {
  for (const auto& v : kVectors) {
    SCOPED_TRACE(std::string(hash_name(v.hash)));
    const std::string client_first = std::string("n,,n=user,r=") + v.client_nonce;
    const std::string nonce = std::string(v.client_nonce) + v.server_nonce;
    const std::string server_first = "r=" + nonce + ",s=" + v.salt + ",i=4096";
    const std::string client_final = "c=biws,r=" + nonce + ",p=" + v.proof;
    const std::string server_final = std::string("v=") + v.verifier;

    ScramClientOptions options;
    options.nonce = v.client_nonce;
    ScramClient client(v.hash, "user", "pencil", {}, false, options);
    EXPECT_EQ(client.client_first(), client_first);
    EXPECT_EQ(client.client_final(server_first).value_or("<none>"), client_final);
    EXPECT_TRUE(client.verify_server_final(server_final));

    ScramServer server(v.hash, false, {}, v.server_nonce);
    ScramServer::ClientFirst first;
    ASSERT_FALSE(server.client_first(client_first, &first));
    EXPECT_EQ(first.username, "user");
    EXPECT_EQ(first.authzid, "");
    EXPECT_EQ(server.server_first(pencil(v.hash, v.salt)), server_first);
    std::string final_message;
    ASSERT_FALSE(server.client_final(client_final, &final_message));
    EXPECT_EQ(final_message, server_final);
  }
}

TEST(SaslScram, StoredKeysOfTheSha1Vector) {
  // RFC 5802's exchange implies these keys; derive() must give the same.
  auto c = pencil(Hash::sha1, "QSXCR+Q6sek8bf92");
  EXPECT_EQ(c.iterations, 4096u);
  EXPECT_EQ(c.stored_key.size(), 20u);
  EXPECT_EQ(c.server_key.size(), 20u);
  EXPECT_TRUE(password_matches(c, "pencil"));
  EXPECT_FALSE(password_matches(c, "pencil "));
}

struct Pair {
  std::optional<SaslFailure> first, final;
  std::string server_final;
  bool client_verified = false;
  std::string client_error;
};

// One whole exchange between a client and a server.
Pair exchange(ScramClient& client, ScramServer& server, const ScramCredentials& creds) {
  Pair p;
  ScramServer::ClientFirst first;
  p.first = server.client_first(client.client_first(), &first);
  if (p.first) return p;
  auto final_message = client.client_final(server.server_first(creds));
  if (!final_message) {
    p.client_error = client.error();
    return p;
  }
  p.final = server.client_final(*final_message, &p.server_final);
  if (!p.final) p.client_verified = client.verify_server_final(p.server_final);
  return p;
}

ChannelBindings tls13_bindings(std::string exporter = "EXPORTER-DATA-32-BYTES-0123456789",
                               std::string endpoint = "END-POINT-HASH-32-BYTES-01234567") {
  ChannelBindings b;
  b.offered = {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point};
  b.data = {{ChannelBindingType::tls_exporter, exporter},
            {ChannelBindingType::tls_server_end_point, endpoint}};
  b.plus_advertised = true;
  return b;
}

TEST(SaslScram, RoundTripsForEveryHashWithAndWithoutPlus) {
  for (Hash h : {Hash::sha1, Hash::sha256, Hash::sha512}) {
    auto creds = derive(h, "correct horse", 4096).value();
    for (bool plus : {false, true}) {
      for (auto type : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point}) {
        if (!plus && type == ChannelBindingType::tls_server_end_point) continue;
        SCOPED_TRACE(std::string(hash_name(h)) + (plus ? "-PLUS " : " ") +
                     std::string(channel_binding_name(type)));
        auto bindings = tls13_bindings();
        std::optional<std::pair<ChannelBindingType, std::string>> binding;
        if (plus)
          for (auto& [t, d] : bindings.data)
            if (t == type) binding.emplace(t, d);
        ScramClient client(h, "juliet", "correct horse", binding);
        ScramServer server(h, plus, bindings);
        EXPECT_EQ(server.mechanism(),
                  "SCRAM-" + std::string(hash_name(h)) + (plus ? "-PLUS" : ""));
        Pair p = exchange(client, server, creds);
        EXPECT_FALSE(p.first) << p.first->text;
        EXPECT_FALSE(p.final) << p.final->text;
        EXPECT_EQ(p.client_error, "");
        EXPECT_TRUE(p.client_verified);
      }
    }
  }
}

TEST(SaslScram, WrongPasswordIsNotAuthorized) {
  auto creds = derive(Hash::sha256, "right", 4096).value();
  ScramClient client(Hash::sha256, "juliet", "wrong");
  ScramServer server(Hash::sha256, false, {});
  Pair p = exchange(client, server, creds);
  ASSERT_TRUE(p.final);
  EXPECT_EQ(p.final->condition, "not-authorized");
  EXPECT_EQ(p.server_final, "");
}

TEST(SaslScram, WrongChannelBindingIsRefused) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  // The client's TLS connection is another than the server's (a man in the
  // middle terminating TLS): its exporter value differs.
  ScramClient client(Hash::sha256, "juliet", "pw",
                     std::make_pair(ChannelBindingType::tls_exporter,
                                    std::string("MITM-EXPORTER-DATA-32-BYTES-0000")));
  ScramServer server(Hash::sha256, true, tls13_bindings());
  Pair p = exchange(client, server, creds);
  ASSERT_TRUE(p.final);
  EXPECT_EQ(p.final->condition, "not-authorized");
  EXPECT_EQ(p.final->text, "channel-bindings-dont-match");
  EXPECT_FALSE(p.client_verified);
}

// "condition: text" of a refused client-first-message; "" when accepted.
std::string refusal(bool plus, ChannelBindings bindings, const std::string& message) {
  ScramServer server(Hash::sha256, plus, std::move(bindings));
  ScramServer::ClientFirst first;
  auto f = server.client_first(message, &first);
  return f ? f->condition + ": " + f->text : "";
}

TEST(SaslScram, ChannelBindingTypeNotOfferedIsRefused) {
  auto tls12 = tls13_bindings();
  tls12.offered = {ChannelBindingType::tls_server_end_point};  // no exporter on TLS 1.2
  EXPECT_EQ(refusal(true, tls12, "p=tls-exporter,,n=juliet,r=abcdefgh"),
            "malformed-request: unsupported-channel-binding-type");
  EXPECT_EQ(refusal(true, tls12, "p=tls-server-end-point,,n=juliet,r=abcdefgh"), "");
  EXPECT_EQ(refusal(true, tls13_bindings(), "p=tls-unique,,n=juliet,r=abcdefgh"),
            "malformed-request: unsupported-channel-binding-type");
  EXPECT_EQ(refusal(true, tls13_bindings(), "p=tls-something,,n=juliet,r=abcdefgh"),
            "malformed-request: unsupported-channel-binding-type");
}

TEST(SaslScram, YFlagIsADowngradeWhenPlusWasAdvertised) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  {
    // We advertised -PLUS; the client says it binds but thinks we do not.
    ScramClient client(Hash::sha256, "juliet", "pw", {}, /*client_supports_binding=*/true);
    ScramServer server(Hash::sha256, false, tls13_bindings());
    Pair p = exchange(client, server, creds);
    ASSERT_TRUE(p.first);
    EXPECT_EQ(p.first->condition, "not-authorized");
    EXPECT_EQ(p.first->text, "server-does-support-channel-binding");
  }
  {
    // Without -PLUS on offer (no TLS binding), "y" is fine.
    ScramClient client(Hash::sha256, "juliet", "pw", {}, true);
    ScramServer server(Hash::sha256, false, {});
    Pair p = exchange(client, server, creds);
    EXPECT_FALSE(p.first);
    EXPECT_FALSE(p.final);
    EXPECT_TRUE(p.client_verified);
  }
}

TEST(SaslScram, FlagsThatDoNotFitTheMechanism) {
  EXPECT_EQ(refusal(true, tls13_bindings(), "n,,n=juliet,r=abcdefgh"),
            "malformed-request: a -PLUS mechanism needs channel binding");
  EXPECT_EQ(refusal(true, tls13_bindings(), "y,,n=juliet,r=abcdefgh"),
            "malformed-request: a -PLUS mechanism needs channel binding");
  EXPECT_EQ(refusal(false, tls13_bindings(), "p=tls-exporter,,n=juliet,r=abcdefgh"),
            "malformed-request: channel binding needs a -PLUS mechanism");
}

TEST(SaslScram, Gs2HeaderChangedInClientFinalIsRefused) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  ScramServer server(Hash::sha256, false, {});
  ScramServer::ClientFirst first;
  ASSERT_FALSE(server.client_first("n,,n=juliet,r=abcdefgh", &first));
  std::string challenge = server.server_first(creds);
  ServerFirstMessage sf;
  ASSERT_FALSE(parse_server_first(challenge, &sf));
  // c= says "y,," where the first message said "n,,".
  std::string out;
  auto f = server.client_final("c=eSws,r=" + sf.nonce + ",p=" + base64_encode(std::string(32, 'x')), &out);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->condition, "not-authorized");
}

TEST(SaslScram, AuthzidAndEscapedNames) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  ScramClientOptions options;
  options.authzid = "a,b=c@example.org";
  ScramClient client(Hash::sha256, "we,ird=name", "pw", {}, false, options);
  std::string first_message = client.client_first();
  EXPECT_EQ(first_message.substr(0, first_message.find(",r=")),
            "n,a=a=2Cb=3Dc@example.org,n=we=2Cird=3Dname");
  ScramServer server(Hash::sha256, false, {});
  ScramServer::ClientFirst first;
  ASSERT_FALSE(server.client_first(first_message, &first));
  EXPECT_EQ(first.username, "we,ird=name");
  EXPECT_EQ(first.authzid, "a,b=c@example.org");
  auto final_message = client.client_final(server.server_first(creds));
  ASSERT_TRUE(final_message);
  std::string server_final;
  EXPECT_FALSE(server.client_final(*final_message, &server_final));
  EXPECT_TRUE(client.verify_server_final(server_final));
}

TEST(SaslScram, UsernameIsSaslPrepped) {
  ScramServer server(Hash::sha256, false, {});
  ScramServer::ClientFirst first;
  // U+2168 ROMAN NUMERAL NINE maps to "IX"; U+00AD SOFT HYPHEN to nothing.
  ASSERT_FALSE(server.client_first("n,,n=\xe2\x85\xa8\xc2\xad,r=abcdefgh", &first));
  EXPECT_EQ(first.username, "IX");
  ScramServer bad(Hash::sha256, false, {});
  auto f = bad.client_first("n,,n=a\x07,r=abcdefgh", &first);  // a control character
  ASSERT_TRUE(f);
  EXPECT_EQ(f->condition, "malformed-request");
}

TEST(SaslScram, UnknownUserLooksLikeAWrongPassword) {
  const std::string secret = "server secret outside the database";
  auto challenge_for = [&](const std::string& user) {
    ScramServer server(Hash::sha256, false, {});
    ScramServer::ClientFirst first;
    EXPECT_FALSE(server.client_first("n,,n=" + user + ",r=abcdefgh", &first));
    std::string challenge = server.server_first_unknown(secret, 4096);
    ServerFirstMessage m;
    EXPECT_FALSE(parse_server_first(challenge, &m));
    return m;
  };
  ServerFirstMessage a1 = challenge_for("ghost"), a2 = challenge_for("ghost"),
                     b = challenge_for("phantom");
  EXPECT_EQ(a1.salt, a2.salt) << "the same on every try, as a real salt is";
  EXPECT_NE(a1.salt, b.salt);
  EXPECT_EQ(a1.salt.size(), 16u) << "as long as derive()'s salts";
  EXPECT_EQ(a1.iterations, 4096u);
  EXPECT_NE(a1.nonce, a2.nonce);

  // The exchange completes and fails exactly like a wrong password.
  ScramServer server(Hash::sha256, false, {});
  ScramClient client(Hash::sha256, "ghost", "guess");
  ScramServer::ClientFirst first;
  ASSERT_FALSE(server.client_first(client.client_first(), &first));
  auto final_message = client.client_final(server.server_first_unknown(secret, 4096));
  ASSERT_TRUE(final_message);
  std::string out;
  auto f = server.client_final(*final_message, &out);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->condition, "not-authorized");
  EXPECT_TRUE(f->text.empty()) << f->text;
}

TEST(SaslScram, StepsOutOfOrderFail) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  ScramServer server(Hash::sha256, false, {});
  EXPECT_EQ(server.server_first(creds), "");
  std::string out;
  auto f = server.client_final("c=biws,r=abc,p=AAAA", &out);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->condition, "malformed-request");

  ScramServer twice(Hash::sha256, false, {});
  ScramServer::ClientFirst first;
  ASSERT_FALSE(twice.client_first("n,,n=juliet,r=abcdefgh", &first));
  f = twice.client_first("n,,n=juliet,r=abcdefgh", &first);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->condition, "malformed-request");

  ScramServer wrong_hash(Hash::sha256, false, {});
  ASSERT_FALSE(wrong_hash.client_first("n,,n=juliet,r=abcdefgh", &first));
  EXPECT_EQ(wrong_hash.server_first(derive(Hash::sha1, "pw", 4096).value()), "");

  // A replayed client-final after success.
  ScramClient client(Hash::sha256, "juliet", "pw");
  ScramServer once(Hash::sha256, false, {});
  ASSERT_FALSE(once.client_first(client.client_first(), &first));
  auto final_message = client.client_final(once.server_first(creds));
  ASSERT_TRUE(final_message);
  ASSERT_FALSE(once.client_final(*final_message, &out));
  f = once.client_final(*final_message, &out);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->condition, "malformed-request");
}

TEST(SaslScram, ReplayIntoAFreshExchangeFails) {
  // A client-final recorded from one exchange does not work in the next:
  // the server's nonce differs.
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  ScramClientOptions options;
  options.nonce = "fixedclientnonce";
  ScramClient client(Hash::sha256, "juliet", "pw", {}, false, options);
  ScramServer first_server(Hash::sha256, false, {});
  ScramServer::ClientFirst first;
  std::string client_first = client.client_first();
  ASSERT_FALSE(first_server.client_first(client_first, &first));
  auto recorded = client.client_final(first_server.server_first(creds));
  ASSERT_TRUE(recorded);
  ScramServer second(Hash::sha256, false, {});
  ASSERT_FALSE(second.client_first(client_first, &first));
  second.server_first(creds);
  std::string out;
  auto f = second.client_final(*recorded, &out);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->condition, "not-authorized");
  EXPECT_EQ(f->text, "nonce mismatch");
}

TEST(SaslScram, MalformedClientFirstMessages) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "empty message"},
      {"n", "no gs2 header"},
      {"n,", "incomplete gs2 header"},
      {"x,,n=juliet,r=abc", "invalid channel-binding flag"},
      {"p=,,n=juliet,r=abc", "invalid channel-binding flag"},
      {"p=tls exporter,,n=juliet,r=abc", "invalid channel-binding flag"},
      {"n,b=x,n=juliet,r=abc", "invalid authzid"},
      {"n,a=,n=juliet,r=abc", "invalid authzid"},
      {"n,a=x=2,n=juliet,r=abc", "invalid authzid encoding"},
      {"n,,m=ext,n=juliet,r=abc", "extensions-not-supported"},
      {"n,,r=abc,n=juliet", "no username"},
      {"n,,n=juliet", "no username"},
      {"n,,n=jul=41iet,r=abc", "invalid username encoding"},
      {"n,,n=juliet=,r=abc", "invalid username encoding"},
      {"n,,n=,r=abc", "no username"},
      {"n,,n=juliet,r=", "invalid nonce"},
      {"n,,n=juliet,x=abc", "invalid nonce"},
      {std::string("n,,n=juliet,r=a\x7f"), "invalid nonce"},
      {"n,,n=juliet,r=abc,1=x", "invalid attribute"},
      {"n,,n=juliet,r=abc,", "invalid attribute"},
      {std::string("n,,n=jul\0iet,r=abc", 18), "NUL in message"},
      {"n,,n=jul\xffiet,r=abc", "message is not UTF-8"},
      {"n,,n=" + std::string(1024, 'a') + ",r=abc", "username too long"},
      {"n,,n=juliet,r=" + std::string(513, 'a'), "invalid nonce"},
      {"n,,n=juliet,r=abc,x=" + std::string(4096, 'a'), "message too long"},
  };
  for (const auto& [message, text] : cases) {
    SCOPED_TRACE(message.substr(0, 60));
    ScramServer server(Hash::sha256, false, {});
    ScramServer::ClientFirst first;
    auto f = server.client_first(message, &first);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->condition, "malformed-request");
    EXPECT_EQ(f->text, text);
    // The exchange is over.
    EXPECT_EQ(server.server_first(derive(Hash::sha256, "pw", 4096).value()), "");
  }
}

TEST(SaslScram, MalformedClientFinalMessages) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  const std::string proof = base64_encode(std::string(32, 'p'));
  auto cases = [&](const std::string& nonce) {
    return std::vector<std::pair<std::string, std::string>>{
        {"c=biws,r=" + nonce, "incomplete client-final-message"},
        {"r=" + nonce + ",c=biws,p=" + proof, "no channel binding"},
        {"c=b!ws,r=" + nonce + ",p=" + proof, "invalid base64 in channel binding"},
        {"c=biws,r=" + nonce + ",x=1", "no proof"},
        {"c=biws,r=" + nonce + ",p=" + proof + ",x=1", "no proof"},
        {"c=biws,r=" + nonce + ",p=***", "invalid base64 in proof"},
        {"c=biws,r=" + nonce + ",=x,p=" + proof, "invalid attribute"},
        {"c=biws,r=" + nonce + ",p=" + base64_encode("short"), "proof of the wrong size"},
    };
  };
  for (const auto& [message, text] : cases("abcdefghservernonce")) {
    SCOPED_TRACE(message);
    ScramServer server(Hash::sha256, false, {}, "servernonce");
    ScramServer::ClientFirst first;
    ASSERT_FALSE(server.client_first("n,,n=juliet,r=abcdefgh", &first));
    ASSERT_NE(server.server_first(creds), "");
    std::string out;
    auto f = server.client_final(message, &out);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->condition, "malformed-request");
    EXPECT_EQ(f->text, text);
    EXPECT_EQ(out, "");
  }
}

TEST(SaslScram, ClientRefusesBadServerFirstMessages) {
  ScramClientOptions options;
  options.nonce = "clientnonce";
  const std::pair<std::string, std::string> cases[] = {
      {"r=othernonce123,s=QSXCR+Q6sek8bf92,i=4096", "server nonce does not extend ours"},
      {"r=clientnonce,s=QSXCR+Q6sek8bf92,i=4096", "server nonce does not extend ours"},
      {"r=clientnonceXY,s=QSXCR+Q6sek8bf92,i=4095", "iteration count out of the allowed range"},
      {"r=clientnonceXY,s=QSXCR+Q6sek8bf92,i=10000001", "iteration count out of the allowed range"},
      {"r=clientnonceXY,s=QSXCR+Q6sek8bf92,i=0", "malformed server-first-message: invalid iteration count"},
      {"r=clientnonceXY,s=QSXCR+Q6sek8bf92,i=4294967296", "malformed server-first-message: invalid iteration count"},
      {"r=clientnonceXY,s=QSXCR+Q6sek8bf92,i=-1", "malformed server-first-message: invalid iteration count"},
      {"r=clientnonceXY,s=,i=4096", "malformed server-first-message: no salt"},
      {"r=clientnonceXY,s=Q,i=4096", "malformed server-first-message: invalid base64 in salt"},
      {"m=x,r=clientnonceXY,s=QSXCR+Q6sek8bf92,i=4096", "malformed server-first-message: extensions-not-supported"},
      {"r=clientnonceXY,i=4096,s=QSXCR+Q6sek8bf92", "malformed server-first-message: no salt"},
      {"r=clientnonceXY,s=QSXCR+Q6sek8bf92,i=4096,h=a,h=b", "malformed server-first-message: two downgrade protection hashes"},
  };
  for (const auto& [message, error] : cases) {
    SCOPED_TRACE(message);
    ScramClient client(Hash::sha1, "user", "pencil", {}, false, options);
    client.client_first();
    EXPECT_FALSE(client.client_final(message));
    EXPECT_EQ(client.error(), error);
  }
  // A lower floor when asked for (e.g. a server the operator knows).
  options.min_iterations = 1;
  ScramClient lenient(Hash::sha1, "user", "pencil", {}, false, options);
  lenient.client_first();
  EXPECT_TRUE(lenient.client_final("r=clientnonceXY,s=QSXCR+Q6sek8bf92,i=1"));
}

TEST(SaslScram, ClientRefusesAForgedServerFinal) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  ScramClient client(Hash::sha256, "juliet", "pw");
  ScramServer server(Hash::sha256, false, {});
  Pair p = exchange(client, server, creds);
  ASSERT_TRUE(p.client_verified);
  EXPECT_FALSE(client.verify_server_final("v=" + base64_encode(std::string(32, 'v'))));
  EXPECT_FALSE(client.verify_server_final("e=invalid-proof"));
  EXPECT_FALSE(client.verify_server_final("v=***"));
  EXPECT_FALSE(client.verify_server_final(""));
  ScramClient fresh(Hash::sha256, "juliet", "pw");
  EXPECT_FALSE(fresh.verify_server_final(p.server_final)) << "before any exchange";
}

// ---- XEP-0474 ----

TEST(SaslScramDowngradeProtection, HashOfTheXepExample) {
  // XEP-0474 section 4's example: SHA-1 over
  // 'SCRAM-SHA-1\x1eSCRAM-SHA-1-PLUS\x1ftls-exporter\x1etls-server-end-point'.
  AdvertisedMethods a{{"SCRAM-SHA-1-PLUS", "SCRAM-SHA-1"},
                      std::vector<std::string>{"tls-server-end-point", "tls-exporter"}};
  EXPECT_EQ(downgrade_protection_hash(Hash::sha1, a), "G6k/rBLDqgOhRRaCuuatSDFkJ08=");
  // Without XEP-0440 there is no 0x1F part: another hash.
  a.channel_bindings.reset();
  EXPECT_NE(downgrade_protection_hash(Hash::sha1, a), "G6k/rBLDqgOhRRaCuuatSDFkJ08=");
}

ChannelBindings advertising(std::vector<std::string> mechanisms) {
  ChannelBindings b = tls13_bindings();
  b.advertised_mechanisms = std::move(mechanisms);
  return b;
}

const std::vector<std::string> kAdvertised = {"SCRAM-SHA-1",   "SCRAM-SHA-1-PLUS",
                                              "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
                                              "SCRAM-SHA-512", "SCRAM-SHA-512-PLUS", "PLAIN"};

TEST(SaslScramDowngradeProtection, ServerSignsWhatItAdvertisedAndTheClientChecks) {
  for (Hash h : {Hash::sha1, Hash::sha256, Hash::sha512}) {
    SCOPED_TRACE(std::string(hash_name(h)));
    auto creds = derive(h, "pw", 4096).value();
    ScramServer server(h, false, advertising(kAdvertised));
    ScramServer::ClientFirst first;
    ScramClientOptions options;
    options.advertised = AdvertisedMethods{
        kAdvertised, std::vector<std::string>{"tls-exporter", "tls-server-end-point"}};
    ScramClient client(h, "juliet", "pw", {}, false, options);
    ASSERT_FALSE(server.client_first(client.client_first(), &first));
    std::string challenge = server.server_first(creds);
    ServerFirstMessage m;
    ASSERT_FALSE(parse_server_first(challenge, &m));
    ASSERT_TRUE(m.downgrade_hash);
    EXPECT_EQ(*m.downgrade_hash, downgrade_protection_hash(h, *options.advertised));
    auto final_message = client.client_final(challenge);
    ASSERT_TRUE(final_message) << client.error();
    EXPECT_TRUE(client.downgrade_protection_verified());
    std::string server_final;
    EXPECT_FALSE(server.client_final(*final_message, &server_final));
    EXPECT_TRUE(client.verify_server_final(server_final));
  }
}

TEST(SaslScramDowngradeProtection, ClientDetectsStrippedMechanismsOrBindings) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  const std::vector<std::string> stripped = {"SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"};
  const AdvertisedMethods seen[] = {
      // -PLUS removed from the list the client saw.
      {stripped, std::vector<std::string>{"tls-exporter", "tls-server-end-point"}},
      // tls-exporter removed from the XEP-0440 list.
      {kAdvertised, std::vector<std::string>{"tls-server-end-point"}},
      // The whole XEP-0440 element removed.
      {kAdvertised, std::nullopt},
  };
  for (const auto& advertised : seen) {
    ScramServer server(Hash::sha256, false, advertising(kAdvertised));
    ScramClientOptions options;
    options.advertised = advertised;
    ScramClient client(Hash::sha256, "juliet", "pw", {}, false, options);
    ScramServer::ClientFirst first;
    ASSERT_FALSE(server.client_first(client.client_first(), &first));
    EXPECT_FALSE(client.client_final(server.server_first(creds)));
    EXPECT_EQ(client.error(),
              "downgrade detected: the advertised mechanisms or channel bindings were changed");
  }
}

TEST(SaslScramDowngradeProtection, StrippingTheAttributeBreaksTheProof) {
  // A man in the middle who removes h= so the client cannot check it: the
  // client's proof then covers another server-first-message than the
  // server's, so the server refuses.
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  ScramServer server(Hash::sha256, false, advertising(kAdvertised));
  ScramClientOptions options;
  options.advertised = AdvertisedMethods{{"SCRAM-SHA-256"}, std::nullopt};
  ScramClient client(Hash::sha256, "juliet", "pw", {}, false, options);
  ScramServer::ClientFirst first;
  ASSERT_FALSE(server.client_first(client.client_first(), &first));
  std::string challenge = server.server_first(creds);
  std::string without = challenge.substr(0, challenge.find(",h="));
  ASSERT_NE(without, challenge);
  auto final_message = client.client_final(without);
  ASSERT_TRUE(final_message);
  EXPECT_FALSE(client.downgrade_protection_verified());
  std::string out;
  auto f = server.client_final(*final_message, &out);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->condition, "not-authorized");
}

TEST(SaslScramDowngradeProtection, NoAttributeWithoutAnAdvertisedList) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  ScramServer server(Hash::sha256, false, tls13_bindings());
  ScramServer::ClientFirst first;
  ASSERT_FALSE(server.client_first("n,,n=juliet,r=abcdefgh", &first));
  EXPECT_EQ(server.server_first(creds).find(",h="), std::string::npos);
}

TEST(SaslScramClientCache, Pbkdf2OncePerAccountAndNeverAcrossPasswords) {
  auto creds = derive(Hash::sha256, "pw", 4096).value();
  SaltedPasswordCache cache;
  ScramClientOptions options;
  options.cache = &cache;
  for (int i = 0; i < 2; ++i) {
    ScramClient client(Hash::sha256, "juliet", "pw", {}, false, options);
    ScramServer server(Hash::sha256, false, {});
    Pair p = exchange(client, server, creds);
    ASSERT_FALSE(p.first);
    ASSERT_FALSE(p.final) << p.final->text;
    EXPECT_TRUE(p.client_verified);
  }
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.salted_password(Hash::sha256, "pw", creds.salt, 4096),
            pbkdf2(Hash::sha256, "pw", creds.salt, 4096));

  // Another password with the same salt gets its own entry, so it fails.
  ScramClient wrong(Hash::sha256, "juliet", "pw2", {}, false, options);
  ScramServer server(Hash::sha256, false, {});
  Pair p = exchange(wrong, server, creds);
  ASSERT_TRUE(p.final);
  EXPECT_EQ(p.final->condition, "not-authorized");
  EXPECT_EQ(cache.size(), 2u);

  SaltedPasswordCache small(1);  // full: starts over
  small.salted_password(Hash::sha256, "pw", "salt-one", 4096);
  EXPECT_EQ(small.salted_password(Hash::sha256, "pw", "salt-two", 4096),
            pbkdf2(Hash::sha256, "pw", "salt-two", 4096));
  EXPECT_EQ(small.size(), 1u);
}

}  // namespace
}  // namespace herald::xmpp::sasl
