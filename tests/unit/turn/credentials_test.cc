#include "turn/credentials.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "base/encoding.h"

namespace herald::turn {
namespace {

// An independent HMAC through OpenSSL's EVP_Q_mac, not the code under test.
std::string reference_hmac(const char* digest, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
            &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

TEST(TurnCredentials, HmacSha1MatchesRfc2202) {
  EXPECT_EQ(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(TurnCredentials, RestApiForm) {
  TurnCredentials c = make_credentials("s3cret", 1700000000, "ab12");
  EXPECT_EQ(c.username, "1700000000:ab12");
  EXPECT_EQ(c.expires_at, 1700000000);
  EXPECT_EQ(c.password, base64_encode(reference_hmac("SHA1", "s3cret", "1700000000:ab12")));
  EXPECT_NE(make_credentials("other", 1700000000, "ab12").password, c.password);
}

TEST(TurnCredentials, ChallengeResponseIsHmacSha512OfLittleEndianTimeAndChallenge) {
  // validUntil 0x0102030405060708 little-endian, then the challenge text.
  std::string data("\x08\x07\x06\x05\x04\x03\x02\x01", 8);
  data += "abc";
  EXPECT_EQ(challenge_response("app-secret", 0x0102030405060708ULL, "abc"),
            reference_hmac("SHA512", "app-secret", data));
  EXPECT_EQ(challenge_response("app-secret", 1, "abc").size(), 64u);
}

}  // namespace
}  // namespace herald::turn
