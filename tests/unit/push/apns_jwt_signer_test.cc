#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "push/apns/jwt_signer.h"

namespace herald::push::apns {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

std::string to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);  // PKCS#8
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

std::vector<std::string> split(const std::string& jwt) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = jwt.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(jwt.substr(start, dot - start));
  }
  parts.push_back(jwt.substr(start));
  return parts;
}

// Verifies a JOSE ES256 signature (raw R||S) the way Apple would.
bool verify_es256(EVP_PKEY* key, const std::string& input, const std::string& raw_sig) {
  if (raw_sig.size() != 64) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw_sig.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, der, static_cast<size_t>(der_len),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

class JwtSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = EVP_EC_gen("P-256");
    ASSERT_NE(key_, nullptr);
    pem_ = to_pem(key_);
  }
  void TearDown() override { EVP_PKEY_free(key_); }

  EVP_PKEY* key_ = nullptr;
  std::string pem_;
};

TEST_F(JwtSignerTest, TokenHasAppleHeaderClaimsAndAValidSignature) {
  JwtSigner signer(pem_, "ABC123DEFG", "DEF123GHIJ");
  Clock::time_point now{std::chrono::seconds(1700000000)};
  std::string jwt = signer.current(now);

  std::vector<std::string> parts = split(jwt);
  ASSERT_EQ(parts.size(), 3u);
  for (const auto& part : parts) {
    EXPECT_EQ(part.find_first_of("=+/"), std::string::npos) << "not base64url without padding";
  }
  auto header = nlohmann::json::parse(*base64url_decode(parts[0]));
  EXPECT_EQ(header, (nlohmann::json{{"alg", "ES256"}, {"kid", "ABC123DEFG"}}));
  auto claims = nlohmann::json::parse(*base64url_decode(parts[1]));
  EXPECT_EQ(claims, (nlohmann::json{{"iss", "DEF123GHIJ"}, {"iat", 1700000000}}));

  std::optional<std::string> sig = base64url_decode(parts[2]);
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(verify_es256(key_, parts[0] + "." + parts[1], *sig));
  // And the check can fail: a changed claim no longer verifies.
  EXPECT_FALSE(verify_es256(key_, parts[0] + "." + parts[1] + "x", *sig));
}

TEST_F(JwtSignerTest, ReusesTokenWithinLifetimeAndRenewsAfter) {
  JwtSigner signer(pem_, "KEY", "TEAM", 30min);
  Clock::time_point t0{std::chrono::seconds(1700000000)};
  std::string first = signer.current(t0);
  EXPECT_EQ(signer.current(t0 + 29min), first);
  std::string second = signer.current(t0 + 30min);
  EXPECT_NE(second, first);
  auto claims = nlohmann::json::parse(*base64url_decode(split(second)[1]));
  EXPECT_EQ(claims["iat"], 1700000000 + 30 * 60);
}

TEST_F(JwtSignerTest, DefaultLifetimeIsFiftyMinutesAndIsClamped) {
  EXPECT_EQ(JwtSigner(pem_, "K", "T").lifetime(), 50min);
  EXPECT_EQ(JwtSigner(pem_, "K", "T", 1min).lifetime(), 20min);
  EXPECT_EQ(JwtSigner(pem_, "K", "T", 5h).lifetime(), 60min);
}

TEST_F(JwtSignerTest, InvalidateForcesANewTokenOnlyForTheRefusedOne) {
  JwtSigner signer(pem_, "KEY", "TEAM");
  Clock::time_point t0{std::chrono::seconds(1700000000)};
  std::string first = signer.current(t0);
  signer.invalidate(first);
  std::string second = signer.current(t0 + 1s);
  EXPECT_NE(second, first);
  // A late 403 for the old token must not throw away the fresh one.
  signer.invalidate(first);
  EXPECT_EQ(signer.current(t0 + 2s), second);
  signer.invalidate();
  EXPECT_NE(signer.current(t0 + 3s), second);
}

TEST_F(JwtSignerTest, RejectsKeysThatCannotSignES256) {
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  std::string rsa_pem = to_pem(rsa);
  EVP_PKEY_free(rsa);
  EXPECT_THROW(JwtSigner(rsa_pem, "K", "T"), std::runtime_error);

  EVP_PKEY* p384 = EVP_EC_gen("P-384");
  std::string p384_pem = to_pem(p384);
  EVP_PKEY_free(p384);
  EXPECT_THROW(JwtSigner(p384_pem, "K", "T"), std::runtime_error);

  EXPECT_THROW(JwtSigner("not a key", "K", "T"), std::runtime_error);
  EXPECT_THROW(JwtSigner(pem_, "", "T"), std::runtime_error);
}

TEST_F(JwtSignerTest, MissingFileNamesThePath) {
  try {
    JwtSigner::from_file("/nonexistent/AuthKey_X.p8", "K", "T");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/AuthKey_X.p8"), std::string::npos);
  }
}

}  // namespace
}  // namespace herald::push::apns
