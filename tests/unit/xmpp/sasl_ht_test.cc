// HT-* (xmpp/sasl/ht.h), the FAST mechanisms. draft-schmaus-kitten-sasl-ht-09
// has no test vectors: the expected values below were computed with Python's
// hmac module from the draft's definition,
//   hmac.new(token, b"Initiator" + cb_data, "sha256").hexdigest()
// with the token of XEP-0484's example and cb_data = bytes(range(32)).
#include "xmpp/sasl/ht.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace herald::xmpp::sasl {
namespace {

const std::string kToken = "WXZzciBwYmFmdmZnZiBqdmd1IGp2eXFhcmZm";

std::string cb32() {
  std::string s;
  for (int i = 0; i < 32; ++i) s.push_back(static_cast<char>(i));
  return s;
}

TEST(SaslHt, VectorsFromTheDraftsDefinition) {
  EXPECT_EQ(hex_encode(ht_initiator_hash(Hash::sha256, kToken, "")),
            "9097787461a184e0fa84ec00c1381190b6c4d16a8ec4453c7b2ac5e7fcf935ed");
  EXPECT_EQ(hex_encode(ht_responder_hash(Hash::sha256, kToken, "")),
            "4e513409631474863b986c9f3e8c1e27ca29d1d7ab9ed4097e7afd6007bf9c62");
  EXPECT_EQ(hex_encode(ht_initiator_hash(Hash::sha256, kToken, cb32())),
            "0c5745576afeea711960549186a31a65c9f328205ee38b66825b3d4c872b395c");
  EXPECT_EQ(hex_encode(ht_responder_hash(Hash::sha256, kToken, cb32())),
            "1260579b34d55aeba4e43062a412db609a0a7153abd218b0f148445c4e83529f");
  EXPECT_EQ(hex_encode(ht_initiator_hash(Hash::sha512, kToken, "")),
            "9af06d375557c568be9af234647f0fa742ebd929396ac27cf49341d11d7a8e4f"
            "1ea89da47068e21b41e7e354a597dca2af786c4cc37d6b2ab9226824446177fc");
  EXPECT_EQ(hex_encode(ht_responder_hash(Hash::sha512, kToken, cb32())),
            "a940d89f2e29a204b9e7d9523b1bfecf68c45fabb82faca538cb90288c59e0c7"
            "8b5e0eaae5400d7f16994372244e14017ecde8ffea70f9c2923267f9ab56c5d9");
}

TEST(SaslHt, MechanismNames) {
  const std::pair<const char*, HtMechanism> names[] = {
      {"HT-SHA-256-NONE", {Hash::sha256, std::nullopt}},
      {"HT-SHA-256-ENDP", {Hash::sha256, ChannelBindingType::tls_server_end_point}},
      {"HT-SHA-256-EXPR", {Hash::sha256, ChannelBindingType::tls_exporter}},
      {"HT-SHA-256-UNIQ", {Hash::sha256, ChannelBindingType::tls_unique}},
      {"HT-SHA-512-EXPR", {Hash::sha512, ChannelBindingType::tls_exporter}},
  };
  for (const auto& [name, mechanism] : names) {
    EXPECT_EQ(parse_ht_mechanism(name), mechanism) << name;
    EXPECT_EQ(ht_mechanism_name(mechanism), name);
  }
  for (const char* bad : {"HT-SHA-1-NONE", "HT-SHA-256", "HT-SHA-256-", "HT-SHA-256-FOO",
                          "HT-SHA-384-NONE", "SCRAM-SHA-256", "HT--NONE", "ht-sha-256-none", ""})
    EXPECT_FALSE(parse_ht_mechanism(bad)) << bad;
}

ChannelBindings bindings(bool exporter) {
  ChannelBindings b;
  if (exporter) {
    b.offered.push_back(ChannelBindingType::tls_exporter);
    b.data.emplace_back(ChannelBindingType::tls_exporter, std::string(32, 'E'));
  }
  b.offered.push_back(ChannelBindingType::tls_server_end_point);
  b.data.emplace_back(ChannelBindingType::tls_server_end_point, cb32());
  b.plus_advertised = true;
  return b;
}

TEST(SaslHt, OffersNeverUniq) {
  EXPECT_EQ(ht_mechanisms_to_offer(bindings(true)),
            (std::vector<std::string>{"HT-SHA-256-EXPR", "HT-SHA-256-ENDP", "HT-SHA-256-NONE"}));
  EXPECT_EQ(ht_mechanisms_to_offer(bindings(false)),
            (std::vector<std::string>{"HT-SHA-256-ENDP", "HT-SHA-256-NONE"}));
  EXPECT_EQ(ht_mechanisms_to_offer({}), (std::vector<std::string>{"HT-SHA-256-NONE"}));
  EXPECT_EQ(ht_mechanisms_to_offer({}, {Hash::sha1, Hash::sha512}),
            (std::vector<std::string>{"HT-SHA-512-NONE"}));
}

std::string data_for(const ChannelBindings& b, std::optional<ChannelBindingType> t) {
  if (!t) return "";
  for (const auto& [type, data] : b.data)
    if (type == *t) return data;
  return "";
}

TEST(SaslHt, RoundTripsForEachMechanism) {
  for (const char* name : {"HT-SHA-256-NONE", "HT-SHA-256-ENDP", "HT-SHA-256-EXPR",
                           "HT-SHA-512-NONE", "HT-SHA-512-EXPR"}) {
    SCOPED_TRACE(name);
    HtMechanism mech = parse_ht_mechanism(name).value();
    auto b = bindings(true);
    HtClient client(mech, "juliet", "token-two", data_for(b, mech.binding));
    HtServer server(mech, b);
    std::string authcid;
    ASSERT_FALSE(server.initiator(client.initiator(), &authcid));
    EXPECT_EQ(authcid, "juliet");
    // The caller derived the user's tokens for this mechanism.
    std::vector<std::string> candidates = {"token-one", "token-two", "token-three"};
    size_t matched = 99;
    std::string responder;
    ASSERT_FALSE(server.verify(candidates, &matched, &responder));
    EXPECT_EQ(matched, 1u);
    EXPECT_TRUE(client.verify_responder(responder));
    EXPECT_FALSE(client.verify_responder(std::string(responder.size(), 'x')));
  }
}

TEST(SaslHt, Refusals) {
  HtMechanism expr{Hash::sha256, ChannelBindingType::tls_exporter};
  std::string authcid;
  size_t matched = 0;
  std::string responder;
  {
    // A token the user does not hold, and an unknown user (no candidates).
    HtClient client(expr, "juliet", "stolen?", std::string(32, 'E'));
    for (const std::vector<std::string>& candidates :
         {std::vector<std::string>{"a", "b"}, std::vector<std::string>{}}) {
      HtServer server(expr, bindings(true));
      ASSERT_FALSE(server.initiator(client.initiator(), &authcid));
      auto f = server.verify(candidates, &matched, &responder);
      ASSERT_TRUE(f);
      EXPECT_EQ(f->condition, "not-authorized");
      EXPECT_EQ(responder, "");
    }
  }
  {
    // The right token over another TLS connection (a man in the middle).
    HtClient client(expr, "juliet", "tok", std::string(32, 'M'));
    HtServer server(expr, bindings(true));
    ASSERT_FALSE(server.initiator(client.initiator(), &authcid));
    auto f = server.verify({"tok"}, &matched, &responder);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->condition, "not-authorized");
  }
  {
    // -EXPR on TLS 1.2, where the exporter is not offered.
    HtServer server(expr, bindings(false));
    HtClient client(expr, "juliet", "tok", "");
    auto f = server.initiator(client.initiator(), &authcid);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->condition, "not-authorized");
  }
  {
    // -UNIQ: never available.
    HtMechanism uniq{Hash::sha256, ChannelBindingType::tls_unique};
    HtServer server(uniq, bindings(true));
    auto f = server.initiator(HtClient(uniq, "juliet", "tok", "").initiator(), &authcid);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->condition, "not-authorized");
  }
  HtMechanism none{Hash::sha256, std::nullopt};
  const std::pair<std::string, std::string> malformed_cases[] = {
      {"juliet", "expected authcid NUL hashed token"},
      {std::string("\0", 1) + std::string(32, 'h'), "invalid authcid"},
      {std::string(1024, 'j') + std::string("\0", 1) + std::string(32, 'h'), "invalid authcid"},
      {std::string("\xff\0", 2) + std::string(32, 'h'), "invalid authcid"},
      {std::string("juliet\0", 7) + std::string(31, 'h'), "hashed token of the wrong size"},
      {std::string("juliet\0", 7) + std::string(64, 'h'), "hashed token of the wrong size"},
  };
  for (const auto& [message, text] : malformed_cases) {
    HtServer server(none, {});
    auto f = server.initiator(message, &authcid);
    ASSERT_TRUE(f) << text;
    EXPECT_EQ(f->condition, "malformed-request");
    EXPECT_EQ(f->text, text);
    EXPECT_TRUE(server.verify({"tok"}, &matched, &responder)) << "no verify after a refusal";
  }
  // verify() once per initiator message.
  HtServer server(none, {});
  HtClient client(none, "juliet", "tok", "");
  ASSERT_FALSE(server.initiator(client.initiator(), &authcid));
  ASSERT_FALSE(server.verify({"tok"}, &matched, &responder));
  EXPECT_TRUE(server.verify({"tok"}, &matched, &responder));
}

TEST(SaslHt, AuthcidMayHoldNulFreeUtf8AndTheHashMayHoldNuls) {
  HtMechanism none{Hash::sha256, std::nullopt};
  // The hashed token is binary: it may contain NUL bytes itself; only the
  // first NUL separates.
  for (int i = 0; i < 64; ++i) {
    std::string token = "t" + std::to_string(i);
    HtClient client(none, "j\xc3\xbcliet", token, "");
    HtServer server(none, {});
    std::string authcid;
    ASSERT_FALSE(server.initiator(client.initiator(), &authcid));
    EXPECT_EQ(authcid, "j\xc3\xbcliet");
    size_t matched;
    std::string responder;
    EXPECT_FALSE(server.verify({token}, &matched, &responder));
  }
}

}  // namespace
}  // namespace herald::xmpp::sasl
