#include "base/encoding.h"

#include <gtest/gtest.h>

#include "base/crypto.h"
#include "base/log.h"

namespace herald {

TEST(Encoding, HexRoundTrip) {
  EXPECT_EQ(hex_encode("\x01\xab\xff"), "01abff");
  EXPECT_EQ(hex_decode("01ABff"), std::string("\x01\xab\xff"));
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
  EXPECT_TRUE(is_hex("deadBEEF"));
  EXPECT_FALSE(is_hex("dead beef"));
}

TEST(Encoding, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_FALSE(base64_decode("Zm9vYg="));
  EXPECT_FALSE(base64_decode("Zm9v!mFy"));
}

TEST(Encoding, Base64UrlHasNoPaddingAndUrlAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_FALSE(base64url_decode("+/8"));
}

TEST(Crypto, Sha256AndHmacKnownAnswers) {
  EXPECT_EQ(hex_encode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// The reference vectors of the SipHash paper (Aumasson, Bernstein), key
// 00 01 .. 0f: the empty message, and the 15 bytes 00 .. 0e.
TEST(Crypto, SipHashReferenceVectors) {
  std::string key, message;
  for (int i = 0; i < 16; ++i) key += static_cast<char>(i);
  for (int i = 0; i < 15; ++i) message += static_cast<char>(i);
  KeyedHash hash(key);
  EXPECT_EQ(hash(""), 0x726fdb47dd0e0e31u);
  EXPECT_EQ(hash(message), 0xa129ca6149be45e5u);
  EXPECT_EQ(hash(message), 0xa129ca6149be45e5u);  // the keyed state is not consumed
}

TEST(Crypto, KeyedHashesOfTwoProcessesDiffer) {
  KeyedHash a, b;
  EXPECT_NE(a("token"), b("token"));
  EXPECT_EQ(a("token"), a("token"));
}

TEST(Crypto, RandomBytesDifferAndConstantTimeEqualCompares) {
  EXPECT_EQ(random_bytes(32).size(), 32u);
  EXPECT_NE(random_bytes(32), random_bytes(32));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}

TEST(Log, FingerprintIsShortAndDoesNotContainTheToken) {
  std::string token(64, 'a');
  std::string fp = log::fingerprint(token);
  EXPECT_EQ(fp.size(), 8u);
  EXPECT_EQ(fp, log::fingerprint(token));
  EXPECT_NE(fp, log::fingerprint(std::string(64, 'b')));
  EXPECT_EQ(token.find(fp), std::string::npos);
}

}  // namespace herald
