// Stored SCRAM keys (xmpp/sasl/credentials.h), SASLprep (RFC 4013 section 3's
// examples and the stored/query difference) and PLAIN parsing with its limits.
#include "xmpp/sasl/credentials.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/primitives.h"
#include "xmpp/sasl/saslprep.h"

namespace herald::xmpp::sasl {
namespace {

TEST(SaslCredentials, DeriveKeepsKeysNotThePassword) {
  for (Hash h : {Hash::sha1, Hash::sha256, Hash::sha512}) {
    SCOPED_TRACE(std::string(hash_name(h)));
    auto c = derive(h, "s3cret-password", 4096);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(c->hash, h);
    EXPECT_EQ(c->salt.size(), 16u);
    EXPECT_EQ(c->iterations, 4096u);
    EXPECT_EQ(c->stored_key.size(), digest_size(h));
    EXPECT_EQ(c->server_key.size(), digest_size(h));
    for (const std::string* field : {&c->salt, &c->stored_key, &c->server_key})
      EXPECT_EQ(field->find("s3cret"), std::string::npos);
    EXPECT_TRUE(password_matches(*c, "s3cret-password"));
    EXPECT_FALSE(password_matches(*c, "s3cret-passworD"));
    EXPECT_FALSE(password_matches(*c, ""));
    // Two derivations get two salts, so two users with one password differ.
    auto again = derive(h, "s3cret-password", 4096).value();
    EXPECT_NE(again.salt, c->salt);
    EXPECT_NE(again.stored_key, c->stored_key);
  }
}

TEST(SaslCredentials, KeysFollowRfc5802) {
  // SaltedPassword = Hi(password, salt, i), checked against Python's
  // hashlib.pbkdf2_hmac('sha512', b'pencil', salt, 4096) for the RFC 7677 salt.
  auto c = derive(Hash::sha512, "pencil", 4096, base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==").value())
               .value();
  EXPECT_EQ(base64_encode(c.stored_key),
            "6AAub3065EYRmyFpM2RNwqK+eGnrkYuEWbXn19LsEmBqzu8QaCXNc1FwpnX9NhH2hK/60dzj9DoO5DvVkOHbvg==");
  EXPECT_EQ(base64_encode(c.server_key),
            "jZHbYjC1aHh0/hKbxyBuGFjDrgjgKTT1esA7awWiKcRZ0o/0b1yWEebBeSVkkCFewf91nLDfKF24mvD5nmE6rA==");
}

TEST(SaslCredentials, DeriveRefusals) {
  EXPECT_TRUE(derive(Hash::sha256, "pw", 4095).status().is(StatusCode::invalid));
  EXPECT_TRUE(derive(Hash::sha256, "pw", kMaxIterations + 1).status().is(StatusCode::invalid));
  EXPECT_TRUE(derive(Hash::sha256, "", 4096).status().is(StatusCode::invalid));
  EXPECT_TRUE(derive(Hash::sha256, "\xc2\xad", 4096).status().is(StatusCode::invalid))
      << "only a soft hyphen: empty after SASLprep";
  EXPECT_TRUE(derive(Hash::sha256, "bell\x07", 4096).status().is(StatusCode::invalid));
  EXPECT_TRUE(derive(Hash::sha256, "\xff\xfe", 4096).status().is(StatusCode::invalid));
  // U+0237 was unassigned in Unicode 3.2: not to be stored, RFC 3454 section 7.
  EXPECT_TRUE(derive(Hash::sha256, "x\xc8\xb7", 4096).status().is(StatusCode::invalid));
}

TEST(SaslCredentials, PasswordsAreComparedAfterSaslPrep) {
  // RFC 4013: U+00A0 NO-BREAK SPACE maps to a space, U+00AD to nothing.
  auto c = derive(Hash::sha256, "my pass", 4096).value();
  EXPECT_TRUE(password_matches(c, "my\xc2\xa0pa\xc2\xadss"));
  auto nine = derive(Hash::sha256, "\xe2\x85\xa8", 4096).value();  // U+2168
  EXPECT_TRUE(password_matches(nine, "IX"));
}

TEST(SaslCredentials, MalformedStoredCredentialsNeverMatch) {
  auto c = derive(Hash::sha256, "pw", 4096).value();
  auto broken = c;
  broken.stored_key.pop_back();
  EXPECT_FALSE(password_matches(broken, "pw"));
  broken = c;
  broken.iterations = 0;
  EXPECT_FALSE(password_matches(broken, "pw"));
  broken = c;
  broken.hash = Hash::sha512;
  EXPECT_FALSE(password_matches(broken, "pw"));
}

TEST(SaslCredentials, FakeCredentialsAreStablePerUserAndUseless) {
  auto a = fake_credentials(Hash::sha256, "secret", "ghost", 4096);
  auto b = fake_credentials(Hash::sha256, "secret", "ghost", 4096);
  EXPECT_EQ(a.salt, b.salt);
  EXPECT_NE(a.stored_key, b.stored_key);
  EXPECT_NE(fake_credentials(Hash::sha256, "other secret", "ghost", 4096).salt, a.salt);
  EXPECT_NE(fake_credentials(Hash::sha1, "secret", "ghost", 4096).salt, a.salt);
  EXPECT_NE(fake_credentials(Hash::sha256, "secret", "ghost2", 4096).salt, a.salt);
  EXPECT_EQ(a.stored_key.size(), 32u);
  EXPECT_FALSE(password_matches(a, "anything"));
}

TEST(SaslCredentials, HashNames) {
  for (Hash h : {Hash::sha1, Hash::sha256, Hash::sha512})
    EXPECT_EQ(parse_hash_name(hash_name(h)), h);
  EXPECT_FALSE(parse_hash_name("sha-256"));
  EXPECT_FALSE(parse_hash_name("SHA-384"));
}

// RFC 4013 section 3, plus the stored/query rule.
TEST(SaslPrep, Rfc4013Examples) {
  EXPECT_EQ(saslprep("I\xc2\xadX"), "IX");      // SOFT HYPHEN mapped to nothing
  EXPECT_EQ(saslprep("user"), "user");          // no transformation
  EXPECT_EQ(saslprep("USER"), "USER");          // case preserved
  EXPECT_EQ(saslprep("\xc2\xaa"), "a");         // U+00AA, NFKC
  EXPECT_EQ(saslprep("\xe2\x85\xa8"), "IX");    // U+2168, NFKC
  EXPECT_EQ(saslprep("\x07"), std::nullopt);    // prohibited
  EXPECT_EQ(saslprep("\xd8\xa7" "1"), std::nullopt);  // bidi: RAL then L... not allowed
}

TEST(SaslPrep, MoreCases) {
  EXPECT_EQ(saslprep("a\xe2\x80\x80" "b"), "a b");  // U+2000 EN QUAD: non-ASCII space
  EXPECT_EQ(saslprep("printable ~ascii!"), "printable ~ascii!");
  EXPECT_EQ(saslprep("\xc2\xad"), "");               // empties: callers refuse
  EXPECT_EQ(saslprep(std::string("a\0b", 3)), std::nullopt);
  EXPECT_EQ(saslprep("tab\there"), std::nullopt);   // ASCII control
  EXPECT_EQ(saslprep("\x7f"), std::nullopt);         // DEL
  EXPECT_EQ(saslprep("\xc0\x80"), std::nullopt);     // overlong NUL
  EXPECT_EQ(saslprep("\xed\xa0\x80"), std::nullopt); // a surrogate
  EXPECT_EQ(saslprep("\xf4\x90\x80\x80"), std::nullopt);  // above U+10FFFF
  // U+200B is in both C.1.2 (to SPACE) and B.1 (to nothing); RFC 4013 maps
  // spaces first, and libidn does.
  EXPECT_EQ(saslprep("\xe2\x80\x8b"), " ");
  EXPECT_EQ(saslprep("\xef\xbf\xbf"), std::nullopt); // a non-character: prohibited
  EXPECT_EQ(saslprep("x\xc8\xb7"), "x\xc8\xb7") << "unassigned: fine in a query";
  EXPECT_EQ(saslprep("x\xc8\xb7", /*stored=*/true), std::nullopt);
  EXPECT_TRUE(is_utf8("gr\xc3\xbc\xc3\x9f"));
  EXPECT_FALSE(is_utf8("\xc3"));
}

TEST(SaslPlain, Parses) {
  PlainMessage m;
  ASSERT_FALSE(parse_plain(std::string("\0juliet\0pass word", 17), &m));
  EXPECT_EQ(m.authzid, "");
  EXPECT_EQ(m.username, "juliet");
  EXPECT_EQ(m.password, "pass word");
  ASSERT_FALSE(parse_plain(std::string("juliet@example.org\0juliet\0pw", 28), &m));
  EXPECT_EQ(m.authzid, "juliet@example.org");
  // The user name is SASLprep'ed; the password stays as sent.
  ASSERT_FALSE(parse_plain(std::string("\0\xe2\x85\xa8\0p\xc2\xadw", 9), &m));
  EXPECT_EQ(m.username, "IX");
  EXPECT_EQ(m.password, "p\xc2\xadw");
}

TEST(SaslPlain, Refusals) {
  const std::string long_name(kMaxPlainUsernameBytes + 1, 'u');
  const std::string long_pw(kMaxPlainPasswordBytes + 1, 'p');
  const std::string long_authzid(kMaxPlainAuthzidBytes + 1, 'a');
  const std::pair<std::string, std::string> cases[] = {
      {"", "expected authzid NUL authcid NUL password"},
      {std::string("juliet\0pw", 9), "expected authzid NUL authcid NUL password"},
      {std::string("\0juliet\0pw\0", 11), "expected authzid NUL authcid NUL password"},
      {std::string("\0\0pw", 4), "empty user name"},
      {std::string("\0juliet\0", 8), "empty password"},
      {std::string("\0", 1) + long_name + std::string("\0pw", 3), "part too long"},
      {std::string("\0juliet\0", 8) + long_pw, "part too long"},
      {long_authzid + std::string("\0juliet\0pw", 10), "part too long"},
      {std::string(6000, 'x'), "message too long"},
      {std::string("\0juliet\0\xff", 9), "not UTF-8"},
      {std::string("\xff\0juliet\0pw", 11), "not UTF-8"},
      {std::string("\0jul\x07iet\0pw", 11), "user name refused by SASLprep"},
      {std::string("\0\xc2\xad\0pw", 6), "user name refused by SASLprep"},
  };
  for (const auto& [message, text] : cases) {
    PlainMessage m;
    auto f = parse_plain(message, &m);
    ASSERT_TRUE(f) << text;
    EXPECT_EQ(f->condition, "malformed-request");
    EXPECT_EQ(f->text, text);
    EXPECT_EQ(m.password, "");
  }
}

TEST(SaslPlain, ChecksAgainstStoredKeys) {
  auto c = derive(Hash::sha256, "pass word", 4096).value();
  PlainMessage m;
  ASSERT_FALSE(parse_plain(std::string("\0juliet\0pass word", 17), &m));
  EXPECT_TRUE(password_matches(c, m.password));
  ASSERT_FALSE(parse_plain(std::string("\0juliet\0pass-word", 17), &m));
  EXPECT_FALSE(password_matches(c, m.password));
}

TEST(SaslPrimitives, HmacAndDigestMatchKnownValues) {
  // RFC 4231 test case 2 (HMAC-SHA-256 and -512), FIPS 180 "abc".
  EXPECT_EQ(hex_encode(hmac(Hash::sha256, "Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex_encode(hmac(Hash::sha512, "Jefe", "what do ya want for nothing?")),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  EXPECT_EQ(hex_encode(digest(Hash::sha1, "abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hmac(Hash::sha256, "", "x").size(), 32u);
}

}  // namespace
}  // namespace herald::xmpp::sasl
