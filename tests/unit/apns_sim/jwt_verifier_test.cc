#include "apns-sim/jwt_verifier.h"

#include <gtest/gtest.h>

#include "test_jwt.h"

namespace herald::apns_sim {
namespace {

constexpr int64_t kNow = 1'750'000'000;

class JwtVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    verifier_ = JwtVerifier::create({key_.public_pem(), "KEYID12345", "TEAM123456"}, &error);
    ASSERT_NE(verifier_, nullptr) << error;
  }
  std::string reason(const std::string& authorization, int64_t now = kNow) {
    JwtResult result = verifier_->verify(authorization, now);
    return result.verdict.ok() ? "OK" : result.verdict.reason;
  }

  testing::TestKey key_;
  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(JwtVerifierTest, AcceptsValidTokenAndReportsIat) {
  JwtResult result = verifier_->verify(key_.bearer("KEYID12345", "TEAM123456", kNow - 60), kNow);
  EXPECT_TRUE(result.verdict.ok()) << result.verdict.reason;
  EXPECT_EQ(result.iat, kNow - 60);
}

TEST_F(JwtVerifierTest, SchemeIsCaseInsensitive) {
  std::string token = key_.bearer("KEYID12345", "TEAM123456", kNow);
  EXPECT_EQ(reason("Bearer " + token.substr(7)), "OK");
}

TEST_F(JwtVerifierTest, AcceptsThePrivateKeyFileInsteadOfThePublicKey) {
  std::string error;
  auto from_p8 = JwtVerifier::create({key_.private_pem(), "KEYID12345", "TEAM123456"}, &error);
  ASSERT_NE(from_p8, nullptr) << error;
  EXPECT_TRUE(from_p8->verify(key_.bearer("KEYID12345", "TEAM123456", kNow), kNow).verdict.ok());
}

TEST_F(JwtVerifierTest, ExpiresAfterOneHour) {
  std::string token = key_.bearer("KEYID12345", "TEAM123456", kNow - 3600);
  EXPECT_EQ(reason(token), "OK");
  EXPECT_EQ(reason(token, kNow + 1), "ExpiredProviderToken");
  JwtResult result = verifier_->verify(token, kNow + 1);
  EXPECT_EQ(result.verdict.status, 403);
}

TEST_F(JwtVerifierTest, RejectsIatFarInTheFuture) {
  EXPECT_EQ(reason(key_.bearer("KEYID12345", "TEAM123456", kNow + 3600)), "InvalidProviderToken");
}

TEST_F(JwtVerifierTest, RejectsWrongKidAndWrongIss) {
  EXPECT_EQ(reason(key_.bearer("OTHERKEY99", "TEAM123456", kNow)), "InvalidProviderToken");
  EXPECT_EQ(reason(key_.bearer("KEYID12345", "OTHERTEAM1", kNow)), "InvalidProviderToken");
}

TEST_F(JwtVerifierTest, RejectsOtherAlgorithms) {
  std::string claims = R"({"iss":"TEAM123456","iat":)" + std::to_string(kNow) + "}";
  EXPECT_EQ(reason("bearer " + key_.jwt(R"({"alg":"ES384","kid":"KEYID12345"})", claims)),
            "InvalidProviderToken");
  EXPECT_EQ(reason("bearer " + key_.jwt(R"({"alg":"none","kid":"KEYID12345"})", claims)),
            "InvalidProviderToken");
}

TEST_F(JwtVerifierTest, RejectsTamperedSignatureAndClaims) {
  std::string token = key_.bearer("KEYID12345", "TEAM123456", kNow);
  std::string flipped = token;
  char& last_sig_char = flipped[flipped.size() - 2];
  last_sig_char = last_sig_char == 'A' ? 'B' : 'A';
  EXPECT_EQ(reason(flipped), "InvalidProviderToken");

  // Same signature, different claims (a later iat).
  size_t first_dot = token.find('.');
  size_t second_dot = token.find('.', first_dot + 1);
  std::string forged_claims =
      base64url_encode(R"({"iss":"TEAM123456","iat":)" + std::to_string(kNow + 10) + "}");
  std::string forged = token.substr(0, first_dot + 1) + forged_claims + token.substr(second_dot);
  EXPECT_EQ(reason(forged), "InvalidProviderToken");
}

TEST_F(JwtVerifierTest, RejectsTokenSignedByAnotherKey) {
  testing::TestKey other;
  EXPECT_EQ(reason(other.bearer("KEYID12345", "TEAM123456", kNow)), "InvalidProviderToken");
}

TEST_F(JwtVerifierTest, RejectsMalformedTokens) {
  std::string token = key_.bearer("KEYID12345", "TEAM123456", kNow);
  EXPECT_EQ(reason(token.substr(7)), "InvalidProviderToken");             // no scheme
  EXPECT_EQ(reason("basic " + token.substr(7)), "InvalidProviderToken");  // other scheme
  EXPECT_EQ(reason("bearer "), "InvalidProviderToken");
  EXPECT_EQ(reason("bearer a.b"), "InvalidProviderToken");
  EXPECT_EQ(reason("bearer a.b.c.d"), "InvalidProviderToken");
  EXPECT_EQ(reason("bearer !!!.???.***"), "InvalidProviderToken");
  EXPECT_EQ(reason(token + "x"), "InvalidProviderToken");  // signature not 64 bytes
  // DER instead of raw R||S: a classic client bug.
  std::string claims = R"({"iss":"TEAM123456","iat":)" + std::to_string(kNow) + "}";
  std::string input =
      base64url_encode(R"({"alg":"ES256","kid":"KEYID12345"})") + "." + base64url_encode(claims);
  std::string raw = key_.sign_raw(input);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_length = i2d_ECDSA_SIG(sig, &der);
  std::string der_sig(reinterpret_cast<char*>(der), size_t(der_length));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  EXPECT_EQ(reason("bearer " + input + "." + base64url_encode(raw)), "OK");
  EXPECT_EQ(reason("bearer " + input + "." + base64url_encode(der_sig)), "InvalidProviderToken");
}

TEST_F(JwtVerifierTest, RejectsNonIntegerIatAndMissingClaims) {
  std::string header = R"({"alg":"ES256","kid":"KEYID12345"})";
  EXPECT_EQ(reason("bearer " + key_.jwt(header, R"({"iss":"TEAM123456","iat":"1750000000"})")),
            "InvalidProviderToken");
  EXPECT_EQ(reason("bearer " + key_.jwt(header, R"({"iss":"TEAM123456"})")),
            "InvalidProviderToken");
  EXPECT_EQ(reason("bearer " + key_.jwt(header, R"({"iat":1750000000})")), "InvalidProviderToken");
}

TEST(JwtVerifierCreateTest, RefusesKeysThatAreNotP256) {
  std::string error;
  EXPECT_EQ(JwtVerifier::create({"not a pem", "K", "T"}, &error), nullptr);
  EXPECT_FALSE(error.empty());
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048));
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, rsa);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, size_t(length));
  BIO_free(bio);
  EVP_PKEY_free(rsa);
  EXPECT_EQ(JwtVerifier::create({pem, "K", "T"}, &error), nullptr);
}

}  // namespace
}  // namespace herald::apns_sim
